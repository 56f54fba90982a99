#include "core/stop_signal.h"

#include <signal.h>

#include <csignal>

namespace claw {
namespace {

volatile std::sig_atomic_t stop_flag = 0;

extern "C" void on_stop_signal(int) {
  stop_flag = 1;
}

}  // namespace

void install_stop_handler() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // Restarted system calls: a stop request must not turn a read or a wait into an error.
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() {
  return stop_flag != 0;
}

void stop_point() {
  if (stop_requested()) throw StopRequested{};
}

}  // namespace claw

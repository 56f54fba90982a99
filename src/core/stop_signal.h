// A polite stop: schedulers (Slurm's time limit and preemption, scancel) send SIGTERM some
// seconds before they kill. Long work installs the handler and polls stop_requested() at its
// safe points, keeps everything finished, and exits with kStoppedExitCode so that a requeue or
// a re-run continues where it stopped.
#pragma once

namespace claw {

// 128 + SIGTERM, the status a shell reports for a process SIGTERM ended.
inline constexpr int kStoppedExitCode = 143;

// From now on SIGTERM sets the stop flag instead of ending the process.
void install_stop_handler();

bool stop_requested();

// Thrown at a safe point once a stop is requested; it is not a failure of the work it stops.
struct StopRequested {};

// Throws StopRequested when a stop has been requested.
void stop_point();

}  // namespace claw

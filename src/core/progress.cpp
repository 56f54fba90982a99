#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

#include "core/format.h"
#include "core/log.h"

namespace claw {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kRedrawInterval = std::chrono::milliseconds(250);

}  // namespace

Progress::Progress(std::string label, std::int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(log::level() >= log::Level::kInfo),
      terminal_(isatty(STDERR_FILENO) != 0),
      start_(Clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  finish();
}

void Progress::update(std::int64_t done) {
  done_ = done;
  if (!enabled_ || finished_) return;
  const Clock::time_point now = Clock::now();
  if (terminal_) {
    if (now - last_draw_ < kRedrawInterval) return;
  } else {
    const int decile = total_ > 0 ? static_cast<int>(10 * done_ / total_) : 0;
    // The last line is finish()'s.
    if (decile <= last_decile_ || decile >= 10) return;
    last_decile_ = decile;
  }
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
  std::string line = label_ + " ";
  if (total_ > 0) {
    const double fraction = static_cast<double>(done_) / static_cast<double>(total_);
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(fraction * kWidth);
    line += "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
    line += concat(static_cast<int>(fraction * 100), "% ", done_, "/", total_, " ", unit_);
  } else {
    line += concat(done_, " ", unit_);
  }
  char rate_text[64];
  // Slow work (a layer of a large model) reads better as seconds per item.
  if (rate > 0 && rate < 1) {
    const bool plural = !unit_.empty() && unit_.back() == 's';
    std::snprintf(rate_text, sizeof rate_text, ", %.1f s per %s", 1 / rate,
                  unit_.substr(0, unit_.size() - (plural ? 1 : 0)).c_str());
  } else {
    std::snprintf(rate_text, sizeof rate_text, ", %.1f %s/s", rate, unit_.c_str());
  }
  line += rate_text;
  if (!detail_.empty()) line += ", " + detail_;
  if (final) {
    line += ", " + clock_text(elapsed);
  } else if (total_ > 0 && rate > 0) {
    line += ", ETA " + clock_text(static_cast<double>(total_ - done_) / rate);
  }
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace claw

// A progress bar on stderr for long work: done/total, rate and ETA. On a terminal it redraws one
// line a few times a second; otherwise (logs, CI) it prints a line at every tenth of the way.
// Hidden with --quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace claw {

class Progress {
 public:
  // `unit` names what is counted ("tokens"); `total` may be 0 when unknown.
  Progress(std::string label, std::int64_t total, std::string unit);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::int64_t amount) { update(done_ + amount); }
  // Shown after the rate until replaced, e.g. "loss 3.42".
  void set_detail(std::string detail) { detail_ = std::move(detail); }
  void update(std::int64_t done);
  // Draws the final state and ends the line (also done by the destructor).
  void finish();

 private:
  void draw(bool final);

  std::string label_, unit_, detail_;
  std::int64_t total_, done_ = 0;
  bool enabled_, terminal_, finished_ = false;
  int last_decile_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace claw

// What the benchmarks share: timing, flags, and the measured ceilings their figures are divided by
// (docs/architecture.md, Conventions). Median and spread and the work of a forward pass come from
// src/bench.
#pragma once

#include <torch/types.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "bench/statistics.h"
#include "bench/work.h"

namespace claw::bench {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start);

// --reps, --threads, --json and -q, which every benchmark takes.
struct RunFlags {
  int reps;
  int threads = 0;
  bool json = false;
  bool quiet = false;

  void add_to(CLI::App& app);
  // Sets the log level and the thread count.
  void apply() const;
};

// The best rate a probe reaches over samples taken between the workload's repetitions. The
// fastest sample is the one least disturbed by the rest of the machine, and spreading the
// samples over the whole measurement makes the ceiling describe the same stretch of time as the
// figures divided by it: on a shared host the memory bandwidth drifts by tens of percent within
// a minute.
class Ceiling {
 public:
  explicit Ceiling(std::function<double()> probe) : probe_(std::move(probe)) {}

  void sample();
  double best() const { return best_; }
  int samples() const { return samples_; }

 private:
  std::function<double()> probe_;
  double best_ = 0;
  int samples_ = 0;
};

// Calls `run` once to warm up, then `reps` times, sampling `ceiling` before each call, and
// returns what the timed calls returned. `run` times itself, so that per-run setup (a fresh KV
// cache, the prompt) stays untimed.
std::vector<double> repeat(int reps, Ceiling& ceiling, const std::function<double()>& run);

// GFLOP/s of [rows x inner] x [inner x cols] into a preallocated output, so that only the
// multiply is timed (a fresh 40 MB output can cost as much in page faults as the multiply).
// Both weight layouts are tried, row-major [in, out] and HF's [out, in] transposed, because
// LibTorch routes them to different kernels; the faster is what the machine can do.
std::function<double()> matmul_probe(std::int64_t rows, std::int64_t inner, std::int64_t cols,
                                     torch::ScalarType dtype);

// GB/s of summing kReadProbeBytes of float32: far beyond any cache, so it streams from DRAM
// once; what a batch-1 decode, which reads every weight per token, is measured against.
// float32 because LibTorch's bfloat16 sum converts every element and can stop being bound by
// memory on few cores.
constexpr std::int64_t kReadProbeBytes = std::int64_t{1} << 30;
std::function<double()> read_probe();

}  // namespace claw::bench

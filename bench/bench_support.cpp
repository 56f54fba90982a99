#include "bench_support.h"

#include <algorithm>

#include "core/log.h"
#include "model/runtime.h"

namespace claw::bench {

void RunFlags::add_to(CLI::App& app) {
  app.add_option("--reps", reps, "timed repetitions after one warm-up")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (0: every core)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--json", json, "print the results as JSON instead of the table");
  app.add_flag("-q,--quiet", quiet, "hide progress messages");
}

void RunFlags::apply() const {
  log::set_level(quiet ? log::Level::kQuiet : log::Level::kInfo);
  model::set_threads(threads);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void Ceiling::sample() {
  constexpr int kPerRound = 3;
  for (int i = 0; i < kPerRound; ++i) best_ = std::max(best_, probe_());
  samples_ += kPerRound;
}

std::vector<double> repeat(int reps, Ceiling& ceiling, const std::function<double()>& run) {
  ceiling.sample();
  run();
  std::vector<double> results;
  for (int i = 0; i < reps; ++i) {
    ceiling.sample();
    results.push_back(run());
  }
  return results;
}

std::function<double()> matmul_probe(std::int64_t rows, std::int64_t inner, std::int64_t cols,
                                     torch::ScalarType dtype) {
  const auto options = torch::TensorOptions().dtype(dtype);
  const torch::Tensor a = torch::randn({rows, inner}, options);
  const torch::Tensor in_out = torch::randn({inner, cols}, options);
  const torch::Tensor out_in = in_out.t().contiguous();
  torch::Tensor out = torch::empty({rows, cols}, options);
  const double flops = 2.0 * static_cast<double>(rows * inner * cols);
  return [=]() mutable {
    double best = 0;
    for (const torch::Tensor& b : {in_out, out_in.t()}) {
      const auto start = Clock::now();
      at::mm_out(out, a, b);
      best = std::max(best, flops / seconds_since(start) / 1e9);
    }
    return best;
  };
}

std::function<double()> read_probe() {
  const torch::Tensor buffer = torch::ones({kReadProbeBytes / 4}, torch::kFloat32);
  return [buffer] {
    const auto start = Clock::now();
    buffer.sum();
    return static_cast<double>(kReadProbeBytes) / seconds_since(start) / 1e9;
  };
}

}  // namespace claw::bench

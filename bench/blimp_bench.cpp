// claw_blimp_bench: short-request throughput, stories260K on BLiMP as `claw eval --task blimp`
// scores it (134,000 log-likelihood requests of about ten tokens), on a quiet machine and beside
// busy processes.
//
//   claw_blimp_bench [--items 1000] [--busy-items 100] [--busy N] [--reps 1] [--threads 0]
//                    [--json] [-q]
//
// Quiet: the whole group (--items pairs per paradigm) at --threads (0: claw's default).
// Busy: N processes spinning on the CPU (default: one per core), then --busy-items pairs per
// paradigm with every core's worth of threads and with claw's default, which leaves out the
// cores the spinners hold; the two alternate rep by rep.
#include <CLI/CLI.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ATen/Parallel.h>

#include <cstdio>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "cli/run_main.h"
#include "core/data_dir.h"
#include "core/error.h"
#include "core/json.h"
#include "data/task_groups.h"
#include "eval/zero_shot_suite.h"
#include "model/load.h"
#include "model/runtime.h"
#include "text/load_tokenizer.h"

namespace {

using claw::Json;

struct Options {
  std::int64_t items = 1000, busy_items = 100;
  int busy = 0;
  claw::bench::RunFlags run{1};
};

struct Measured {
  double seconds = 0, accuracy = 0;
  std::int64_t requests = 0;
};

Measured score_blimp(const claw::model::Model& model, const claw::text::Tokenizer& tokenizer,
                     const claw::data::ChoiceTaskSet& set, std::int64_t items) {
  claw::eval::ZeroShotOptions options;
  options.limit = items;
  options.progress = false;
  const auto start = claw::bench::Clock::now();
  const claw::eval::SuiteResult suite = claw::eval::evaluate_suite(model, tokenizer, set, options);
  Measured m{claw::bench::seconds_since(start), suite.figures.front().value, 0};
  for (const auto& r : suite.tasks) m.requests += 2 * r.items_scored;
  return m;
}

// Processes that spin until killed, standing in for a study or a build beside the evaluation.
class Spinners {
 public:
  explicit Spinners(int count) {
    for (int i = 0; i < count; ++i) {
      const pid_t pid = fork();
      CLAW_CHECK(pid >= 0, "cannot fork a busy process");
      if (pid == 0) {
        volatile unsigned long n = 0;
        while (true) n = n + 1;
      }
      pids_.push_back(pid);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let them reach the CPUs
  }
  ~Spinners() {
    for (const pid_t pid : pids_) kill(pid, SIGKILL);
    for (const pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }

 private:
  std::vector<pid_t> pids_;
};

Json figure(const char* name, const Measured& m, int threads) {
  return {{"name", name},
          {"seconds", m.seconds},
          {"requests", m.requests},
          {"requests_per_second", static_cast<double>(m.requests) / m.seconds},
          {"threads", threads},
          {"accuracy", m.accuracy}};
}

void print_human(const Json& r) {
  std::printf("  %-34s %8.2f s  %9.0f requests/s  (%lld requests, %d threads, blimp acc %.4f)\n",
              r["name"].get<std::string>().c_str(), r["seconds"].get<double>(),
              r["requests_per_second"].get<double>(),
              static_cast<long long>(r["requests"].get<std::int64_t>()), r["threads"].get<int>(),
              r["accuracy"].get<double>());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"claw_blimp_bench: BLiMP scoring speed on a quiet and on a busy machine"};
  Options o;
  app.add_option("--items", o.items, "pairs per paradigm on the quiet machine")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--busy-items", o.busy_items, "pairs per paradigm beside the busy processes")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--busy", o.busy, "busy processes (0: one per core)");
  o.run.add_to(app);
  return claw::cli::run_main("claw_blimp_bench", app, argc, argv, [&] {
    o.run.apply();
    const claw::model::Model model =
        claw::model::load_model(claw::data_file("models/stories260K/stories260K.bin"));
    const auto tokenizer =
        claw::text::load_tokenizer(claw::data_file("models/stories260K/tok512.bin"));
    const claw::data::ChoiceTaskSet set = claw::data::load_choice_tasks({"blimp"});
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    Json results = Json::array();
    const auto report = [&](Json r) {
      if (!o.run.json) print_human(r);
      results.push_back(std::move(r));
    };

    std::printf("stories260K f32 on blimp, %d cores\nquiet machine:\n", cores);
    score_blimp(model, *tokenizer, set, 20);  // warm-up
    for (int rep = 0; rep < o.run.reps; ++rep) {
      report(figure("claw default", score_blimp(model, *tokenizer, set, o.items),
                    at::get_num_threads()));
    }

    const int busy = o.busy > 0 ? o.busy : cores;
    std::printf("beside %d busy processes:\n", busy);
    const Spinners spinners(busy);
    for (int rep = 0; rep < o.run.reps; ++rep) {
      at::set_num_threads(cores);
      report(figure("every core", score_blimp(model, *tokenizer, set, o.busy_items), cores));
      claw::model::set_threads(0);
      const int chosen = at::get_num_threads();
      report(figure("claw default (idle cores)", score_blimp(model, *tokenizer, set, o.busy_items),
                    chosen));
    }
    if (o.run.json) std::printf("%s\n", results.dump(2).c_str());
  });
}

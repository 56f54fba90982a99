// claw_tokenizer_bench: how long a tokenizer takes to load and how fast it encodes, on one thread.
//
//   claw_tokenizer_bench [--tokenizer FILE] [--text FILE] [--reps 5] [--json]
//
// Defaults: the Qwen tokenizer.json and the WikiText-2 test file from the data directory. The
// whole file is encoded as one text, as the intrinsic evaluation does. Figures are the median and
// [min, max] over --reps runs, after one untimed run.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "cli/run_main.h"
#include "core/data_dir.h"
#include "core/error.h"
#include "core/json.h"
#include "core/mapped_file.h"
#include "text/load_tokenizer.h"

namespace {

struct Stats {
  double median, min, max;
};

Stats time_runs(int reps, const std::function<void()>& work) {
  work();
  std::vector<double> seconds;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return {seconds[seconds.size() / 2], seconds.front(), seconds.back()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"claw_tokenizer_bench: tokenizer load time and encode throughput (one thread)"};
  std::string tokenizer_path, text_path;
  int reps = 5;
  bool json = false;
  app.add_option("--tokenizer", tokenizer_path,
                 "tokenizer file (default: the Qwen tokenizer.json)");
  app.add_option("--text", text_path, "text to encode (default: WikiText-2 test)");
  app.add_option("--reps", reps, "timed repetitions")->check(CLI::PositiveNumber);
  app.add_flag("--json", json, "print the figures as JSON");
  return claw::cli::run_main("claw_tokenizer_bench", app, argc, argv, [&] {
    if (tokenizer_path.empty()) {
      tokenizer_path = claw::data_file("tokenizers/qwen/tokenizer.json").string();
    }
    if (text_path.empty()) text_path = claw::data_file("wikitext-2-raw/wiki.test.raw").string();
    const claw::MappedFile file(text_path);
    const std::string text(reinterpret_cast<const char*>(file.data()), file.size());

    std::unique_ptr<claw::text::Tokenizer> tokenizer;
    const Stats load =
        time_runs(reps, [&] { tokenizer = claw::text::load_tokenizer(tokenizer_path); });
    std::size_t tokens = 0;
    const Stats encode = time_runs(reps, [&] { tokens = tokenizer->encode(text, {}).size(); });

    const double megabytes = static_cast<double>(text.size()) / 1e6;
    const claw::Json result = {
        {"tokenizer", tokenizer_path},
        {"text", text_path},
        {"bytes", text.size()},
        {"tokens", tokens},
        {"load_seconds", {{"median", load.median}, {"min", load.min}, {"max", load.max}}},
        {"encode_mb_per_s",
         {{"median", megabytes / encode.median},
          {"min", megabytes / encode.max},
          {"max", megabytes / encode.min}}},
    };
    if (json) {
      std::printf("%s\n", result.dump(2).c_str());
    } else {
      std::printf("tokenizer  %s\ntext       %s (%.2f MB, %zu tokens)\n", tokenizer_path.c_str(),
                  text_path.c_str(), megabytes, tokens);
      std::printf("load       %.3f s  [%.3f, %.3f]\n", load.median, load.min, load.max);
      std::printf("encode     %.2f MB/s  [%.2f, %.2f]  (%.0f tokens/s)\n",
                  megabytes / encode.median, megabytes / encode.max, megabytes / encode.min,
                  static_cast<double>(tokens) / encode.median);
    }
  });
}

// claw_zero_shot_bench: zero-shot scoring speed with and without prefix sharing, the scorer of
// `claw eval --task hellaswag` on real HellaSwag items tokenized by Qwen's tokenizer, through a
// randomly initialised model of a real shape.
//
//   claw_zero_shot_bench [--preset qwen2.5-0.5b] [--dtype bf16] [--items 200] [--batch 8]
//                        [--reps 1] [--threads 0] [--json] [-q]
//
// Three ways to the same log-likelihoods, each run once untimed first:
//   harness's way   every choice a sequence of its own, logits and log-softmax at every position,
//                   --batch sequences per pass sorted longest first (lm-evaluation-harness's
//                   _loglikelihood_tokens, written out here)
//   choices alone   claw's scorer without prefix sharing: the head at scored positions only
//   shared prefix   claw's default: each question's prompt once, its choices packed after it
// The gap between the last two is what sharing alone buys; the first is what users compare.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include <algorithm>

#include "bench_support.h"
#include "cli/run_main.h"
#include "core/allocator.h"
#include "core/data_dir.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "data/choice_task.h"
#include "eval/loglikelihood.h"
#include "model/decoder.h"
#include "model/presets.h"
#include "model/runtime.h"
#include "text/load_tokenizer.h"

namespace {

namespace bench = claw::bench;
using claw::Json;

struct Options {
  std::string preset = "qwen2.5-0.5b";
  std::string dtype = "bf16";
  std::int64_t items = 200, batch = 8;
  claw::bench::RunFlags run{1};
};

using Groups = std::vector<std::vector<claw::eval::TokenRequest>>;

// lm-evaluation-harness's way: each request padded into a batch of whole sequences, full
// logits, log-softmax everywhere, then the continuation's entries gathered. Returns the
// log-likelihoods in request order and counts the tokens fed.
std::vector<double> harness_way(const claw::model::Model& model, const Groups& groups,
                                std::int64_t batch, std::int64_t* tokens_fed) {
  std::vector<const claw::eval::TokenRequest*> requests;
  for (const auto& group : groups) {
    for (const auto& request : group) requests.push_back(&request);
  }
  std::vector<std::size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  const auto length = [&](std::size_t i) {
    return requests[i]->context.size() + requests[i]->continuation.size();
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return length(a) > length(b); });
  const torch::NoGradGuard no_grad;
  std::vector<double> loglikelihoods(requests.size());
  *tokens_fed = 0;
  for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(batch)) {
    const std::size_t count = std::min<std::size_t>(batch, order.size() - start);
    const auto width = static_cast<std::int64_t>(length(order[start]) - 1);
    torch::Tensor tokens = torch::zeros({static_cast<std::int64_t>(count), width}, torch::kInt64);
    torch::Tensor valid = torch::zeros_like(tokens, torch::kBool);
    for (std::size_t i = 0; i < count; ++i) {
      const auto& r = *requests[order[start + i]];
      std::vector<std::int64_t> ids(r.context.begin(), r.context.end());
      ids.insert(ids.end(), r.continuation.begin(), r.continuation.end() - 1);
      const auto n = static_cast<std::int64_t>(ids.size());
      tokens[i].narrow(0, 0, n).copy_(torch::tensor(ids));
      valid[i].narrow(0, 0, n).fill_(true);
      *tokens_fed += n;
    }
    const torch::Tensor log_probs =
        at::log_softmax(claw::model::forward(model, tokens, valid).to(torch::kFloat32), -1);
    for (std::size_t i = 0; i < count; ++i) {
      const auto& r = *requests[order[start + i]];
      const auto first = static_cast<std::int64_t>(r.context.size()) - 1;
      double sum = 0;
      for (std::size_t t = 0; t < r.continuation.size(); ++t) {
        sum += log_probs[i][first + static_cast<std::int64_t>(t)][r.continuation[t]].item<double>();
      }
      loglikelihoods[order[start + i]] = sum;
    }
  }
  return loglikelihoods;
}

// Runs `score` once untimed and `reps` times timed; returns items/s.
bench::Spread items_per_second(const Options& o, std::size_t items,
                               const std::function<void()>& score) {
  score();
  std::vector<double> rates;
  for (int r = 0; r < o.run.reps; ++r) {
    const auto start = bench::Clock::now();
    score();
    rates.push_back(static_cast<double>(items) / bench::seconds_since(start));
  }
  return bench::spread(rates);
}

Json result(const char* way, std::int64_t tokens, const bench::Spread& rate, std::size_t items) {
  return {{"way", way},
          {"tokens_processed", tokens},
          {"items_per_s", rate.json()},
          {"tokens_per_s",
           rate.scaled(static_cast<double>(tokens) / static_cast<double>(items)).json()}};
}

void print_human(const Json& r) {
  const auto& rate = r["items_per_s"];
  std::printf("%-15s %9lld tokens  %7.2f items/s [%.2f, %.2f]  %7.1f tokens/s\n",
              r["way"].get<std::string>().c_str(), r["tokens_processed"].get<long long>(),
              rate["median"].get<double>(), rate["min"].get<double>(), rate["max"].get<double>(),
              r["tokens_per_s"]["median"].get<double>());
}

}  // namespace

int main(int argc, char** argv) {
  claw::keep_freed_memory();
  CLI::App app{"claw_zero_shot_bench: zero-shot scoring speed with and without prefix sharing"};
  Options o;
  app.add_option("--preset", o.preset, "model shape (random weights)")->capture_default_str();
  app.add_option("--dtype", o.dtype, "f32, bf16 or f16")->capture_default_str();
  app.add_option("--items", o.items, "HellaSwag items, from the first")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--batch", o.batch, "questions per forward pass")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  o.run.add_to(app);
  return claw::cli::run_main("claw_zero_shot_bench", app, argc, argv, [&] {
    o.run.apply();
    const auto tokenizer =
        claw::text::load_tokenizer(claw::data_file("tokenizers/qwen/tokenizer.json"));
    const claw::data::ChoiceTask task = claw::data::load_choice_task("hellaswag");
    std::vector<std::vector<claw::eval::TokenRequest>> groups;
    for (std::size_t i = 0; i < task.items.size() && groups.size() < std::size_t(o.items); ++i) {
      std::vector<claw::eval::TokenRequest> group;
      for (const auto& request : task.items[i].requests) {
        group.push_back(claw::eval::tokenize_request(*tokenizer, request));
      }
      groups.push_back(std::move(group));
    }
    const claw::model::Model model = claw::model::random_model(
        claw::model::preset_config(o.preset), 0, claw::model::parse_dtype(o.dtype));
    std::printf("%s %s, %zu HellaSwag items, batch %lld\n", o.preset.c_str(), o.dtype.c_str(),
                groups.size(), static_cast<long long>(o.batch));
    Json results = Json::array();
    const auto report = [&](Json r) {
      if (!o.run.json) print_human(r);
      results.push_back(std::move(r));
    };
    std::int64_t harness_tokens = 0;
    std::vector<double> reference;
    claw::log::info("the harness's way: ", groups.size(), " items");
    report(result(
        "harness's way", harness_tokens,
        items_per_second(o, groups.size(),
                         [&] { reference = harness_way(model, groups, o.batch, &harness_tokens); }),
        groups.size()));
    double largest_difference = 0;
    for (const bool share : {false, true}) {
      claw::log::info(share ? "shared prefix" : "choices alone", ": ", groups.size(), " items");
      claw::eval::LoglikelihoodOptions options;
      options.batch = o.batch;
      options.share_prefix = share;
      claw::eval::LoglikelihoodWork work;
      const auto scores = claw::eval::score_requests(model, groups, options, &work);
      std::size_t i = 0;
      for (const auto& group : scores) {
        for (const auto& score : group) {
          largest_difference =
              std::max(largest_difference, std::abs(score.loglikelihood - reference[i++]));
        }
      }
      report(result(share ? "shared prefix" : "choices alone", work.tokens_processed,
                    items_per_second(o, groups.size(),
                                     [&] { claw::eval::score_requests(model, groups, options); }),
                    groups.size()));
    }
    const auto median = [&](int i) { return results[i]["items_per_s"]["median"].get<double>(); };
    const Json summary = {{"speedup_over_harness_way", median(2) / median(0)},
                          {"speedup_from_sharing_alone", median(2) / median(1)},
                          {"largest_loglikelihood_difference", largest_difference}};
    if (o.run.json) {
      std::printf("%s\n", Json({{"runs", results}, {"summary", summary}}).dump(2).c_str());
    } else {
      std::printf(
          "shared prefix: %.2fx the harness's way (target >= 2x), %.2fx from sharing alone; "
          "log-likelihoods agree to %.1e\n",
          median(2) / median(0), median(2) / median(1), largest_difference);
    }
  });
}

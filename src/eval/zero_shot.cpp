#include "eval/zero_shot.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "core/option_table.h"

namespace claw::eval {
namespace {

// Python's len() of a UTF-8 string: its code points.
double characters(const std::string& text) {
  return static_cast<double>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// The first index of the largest value, as numpy.argmax.
std::int64_t argmax(const std::vector<double>& values) {
  return std::max_element(values.begin(), values.end()) - values.begin();
}

double mean(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// Indices of the items to evaluate, in file order: all, the first `limit`, or `limit` drawn
// without replacement by a Fisher-Yates pass driven by mt19937_64 (whose output the C++
// standard fixes, so a seed picks the same items everywhere).
std::vector<std::size_t> choose_items(std::size_t available, const ZeroShotOptions& options) {
  std::vector<std::size_t> indices(available);
  std::iota(indices.begin(), indices.end(), 0);
  const auto limit = static_cast<std::size_t>(options.limit);
  if (options.limit <= 0 || limit >= available) return indices;
  if (options.seed) {
    std::mt19937_64 random(*options.seed);
    for (std::size_t i = 0; i < limit; ++i) {
      std::swap(indices[i], indices[i + random() % (available - i)]);
    }
    indices.resize(limit);
    std::sort(indices.begin(), indices.end());
  } else {
    indices.resize(limit);
  }
  return indices;
}

std::string describe_protocol(const data::ChoiceTask& task, const ZeroShotResult& result,
                              const ZeroShotOptions& options, const text::Tokenizer& tokenizer) {
  const bool last_word = task.scoring == data::ChoiceScoring::kLastWord;
  std::string selection =
      result.items_scored == result.items_available
          ? concat("all ", with_commas(result.items_available), " items")
      : options.seed
          ? concat(with_commas(result.items_scored), " of ", with_commas(result.items_available),
                   " items sampled with seed ", *options.seed)
          : concat("the first ", with_commas(result.items_scored), " of ",
                   with_commas(result.items_available), " items");
  return concat(
      task.name, ": ", describe_harness(options.harness, tokenizer), ", ", task.num_fewshot,
      "-shot, ", task.prompt,
      "; context and continuation encoded together and split at the context's token count, "
      "trailing context whitespace moved into the continuation; ",
      last_word ? "acc = greedy decoding gives every continuation token, perplexity = "
                  "exp(-mean log-likelihood per item)"
                : concat("acc = argmax of the summed log-likelihood",
                         task.reports_acc_norm ? ", acc_norm = argmax of it / the choice's "
                                                 "characters"
                                               : ""),
      "; ", selection,
      !result.skipped.empty() ? concat(", ", result.skipped.size(), " left out (see warnings)")
                              : "");
}

}  // namespace

double mean_standard_error(const std::vector<double>& values) {
  if (values.size() <= 1) return std::numeric_limits<double>::quiet_NaN();
  const double mu = mean(values);
  double squares = 0;
  for (const double v : values) squares += (v - mu) * (v - mu);
  const auto n = static_cast<double>(values.size());
  return std::sqrt(squares / (n - 1)) / std::sqrt(n);
}

ZeroShotResult evaluate_zero_shot(const ScoredModel& model, const text::Tokenizer& tokenizer,
                                  const data::ChoiceTask& task, const ZeroShotOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  CLAW_CHECK(tokenizer.vocab_size() <= model.config().vocab_size, "the tokenizer has ",
             tokenizer.vocab_size(), " tokens but the model only ", model.config().vocab_size);
  if (options.limit < 0) throw OptionError("limit", "must not be negative");
  ZeroShotResult result;
  result.task = task.name;
  result.items_available = static_cast<std::int64_t>(task.items.size());
  result.skipped = task.skipped;

  // Tokenize; an item this model cannot score is left out with its reason.
  std::vector<const data::ChoiceItem*> items;
  std::vector<std::vector<TokenRequest>> groups;
  for (const std::size_t index : choose_items(task.items.size(), options)) {
    const data::ChoiceItem& item = task.items[index];
    try {
      std::vector<TokenRequest> requests;
      for (const data::LoglikelihoodRequest& r : item.requests) {
        requests.push_back(tokenize_request(tokenizer, r, options.harness));
        check_fits(requests.back(), model.config().max_position_embeddings);
      }
      groups.push_back(std::move(requests));
      items.push_back(&item);
    } catch (const Error& e) {
      result.skipped.push_back(concat(task.source, ":", item.line, ": ", e.what()));
      log::warn("skipped ", result.skipped.back());
    }
  }
  CLAW_CHECK(!items.empty(), task.name, ": no item could be tokenized");
  result.items_scored = static_cast<std::int64_t>(items.size());

  const LoglikelihoodOptions scoring{options.batch, options.share_prefix,
                                     options.progress ? "eval " + task.name : std::string()};
  const std::vector<std::vector<ContinuationScore>> scores =
      score_requests(model, groups, scoring, &result.work);

  std::vector<double> acc, acc_norm, loglikelihoods, guess;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const data::ChoiceItem& item = *items[i];
    ScoredItem scored{item.index, &item, scores[i]};
    if (task.scoring == data::ChoiceScoring::kLastWord) {
      acc.push_back(scores[i].front().greedy ? 1 : 0);
      loglikelihoods.push_back(scores[i].front().loglikelihood);
    } else {
      std::vector<double> ll, per_character;
      for (std::size_t c = 0; c < scores[i].size(); ++c) {
        ll.push_back(scores[i][c].loglikelihood);
        per_character.push_back(ll.back() / characters(item.choices[c]));
      }
      guess.push_back(1.0 / static_cast<double>(ll.size()));
      scored.prediction = argmax(ll);
      acc.push_back(scored.prediction == item.gold ? 1 : 0);
      if (task.reports_acc_norm) {
        scored.prediction_norm = argmax(per_character);
        acc_norm.push_back(scored.prediction_norm == item.gold ? 1 : 0);
      }
    }
    if (options.keep_samples) result.samples.push_back(std::move(scored));
  }

  result.metrics.push_back({"acc", mean(acc), mean_standard_error(acc)});
  result.chance = guess.empty() ? std::numeric_limits<double>::quiet_NaN() : mean(guess);
  result.category = task.category;
  result.num_fewshot = task.num_fewshot;
  result.average_metric = "acc";
  if (!acc_norm.empty()) {
    result.metrics.push_back({"acc_norm", mean(acc_norm), mean_standard_error(acc_norm)});
    result.average_metric = "acc_norm";
  }
  if (!loglikelihoods.empty()) {
    // The harness bootstraps this error; the delta method gives the same to first order:
    // d exp(-m) = exp(-m) dm.
    const double perplexity = std::exp(-mean(loglikelihoods));
    result.metrics.push_back(
        {"perplexity", perplexity, perplexity * mean_standard_error(loglikelihoods)});
  }
  result.protocol = describe_protocol(task, result, options, tokenizer);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace claw::eval

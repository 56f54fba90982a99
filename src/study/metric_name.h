// What a study metric is, typed: its kind, its subject (a corpus, a task, a group, a speed phase)
// and, for speed, the setting it was measured at. The store keeps the name as text
// ("loss/tinystories:test", "acc_norm/piqa", "ideal_decode_speedup/b1,p128"); text() and
// parse() here are the only code that writes or reads that spelling, and they keep the
// spelling of every earlier release, so any store resumes and reports.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace claw::study {

enum class MetricKind {
  kLoss,                 // loss/CORPUS: mean next-token loss (nats)
  kPerplexity,           // perplexity/CORPUS
  kAcc,                  // acc/TASK, acc/PARADIGM of a group
  kAccNorm,              // acc_norm/TASK
  kAccuracy,             // accuracy/GROUP and accuracy/average: the extrinsic frontiers
  kChance,               // chance/TASK|GROUP|average: a uniform guess's accuracy
  kFractionRemoved,      // fraction_removed/total|without_embeddings
  kSpeedup,              // PHASE_speedup/SETTING: measured, over the base
  kIdealSpeedup,         // ideal_PHASE_speedup/SETTING: from the shapes alone
  kTokensPerSecond,      // PHASE_tokens_per_s/SETTING: the compressed model's
  kBaseTokensPerSecond,  // base_PHASE_tokens_per_s/SETTING
};

// The two halves of a generation request that speed metrics measure apart.
enum class SpeedPhase { kPrefill, kDecode };
inline constexpr SpeedPhase kSpeedPhases[] = {SpeedPhase::kPrefill, SpeedPhase::kDecode};
const char* phase_name(SpeedPhase phase);  // "prefill", "decode"

// Where a speed metric was measured: batch size and prefill tokens ("b1,p128").
struct SpeedSetting {
  std::int64_t batch = 1;
  std::int64_t prefill = 0;
  std::string text() const;
  auto operator<=>(const SpeedSetting&) const = default;
};

// The kind a quality metric's spelling names ("acc_norm", as the harness calls it too).
MetricKind quality_kind_named(std::string_view spelling);
// The kinds the laws are fitted to: each corpus's loss and each accuracy frontier.
std::vector<MetricKind> law_metric_kinds();

struct MetricName {
  MetricKind kind = MetricKind::kLoss;
  std::string subject{};  // corpus, task, group, "average", "total"; empty for speed
  SpeedPhase phase = SpeedPhase::kPrefill;  // speed kinds only
  SpeedSetting setting{};                   // speed kinds only

  static MetricName of(MetricKind kind, std::string subject);
  static MetricName speed(MetricKind kind, SpeedPhase phase, SpeedSetting setting);
  // The name as the store spells it; an error for a name no release wrote.
  static MetricName parse(std::string_view text);

  std::string text() const;
  // The kind's part of the name: "loss", "ideal_decode_speedup".
  std::string kind_text() const;

  bool is_speed() const;
  // Loss, perplexity and the accuracies: what a law can be fitted to.
  bool is_quality() const;
  // The metrics the laws fit: each corpus's loss and each accuracy frontier.
  bool is_law_metric() const;
  bool lower_is_better() const;  // loss and perplexity

  // The chance level recorded beside this accuracy: chance/SUBJECT.
  MetricName chance() const { return of(MetricKind::kChance, subject); }

  auto operator<=>(const MetricName&) const = default;
};

// The extrinsic frontier every study with zero-shot tasks has: the average over its tasks.
inline const MetricName kAverageAccuracy = MetricName::of(MetricKind::kAccuracy, "average");
inline const MetricName kFractionRemovedTotal =
    MetricName::of(MetricKind::kFractionRemoved, "total");
// The common scale of methods of different structure: embeddings and head left out.
inline const MetricName kFractionRemovedWithoutEmbeddings =
    MetricName::of(MetricKind::kFractionRemoved, "without_embeddings");

}  // namespace claw::study

#include "study/metric_name.h"

#include <cstdio>

#include "core/error.h"

namespace claw::study {
namespace {

// Each kind's spelling. A speed kind's spelling holds its phase where `{}` stands.
struct KindInfo {
  MetricKind kind;
  std::string_view spelling;
  bool speed, quality, law, lower_is_better;
};
constexpr KindInfo kKinds[] = {
    {MetricKind::kLoss, "loss", false, true, true, true},
    {MetricKind::kPerplexity, "perplexity", false, true, false, true},
    {MetricKind::kAcc, "acc", false, true, false, false},
    {MetricKind::kAccNorm, "acc_norm", false, true, false, false},
    {MetricKind::kAccuracy, "accuracy", false, true, true, false},
    {MetricKind::kChance, "chance", false, false, false, false},
    {MetricKind::kFractionRemoved, "fraction_removed", false, false, false, false},
    {MetricKind::kSpeedup, "{}_speedup", true, false, false, false},
    {MetricKind::kIdealSpeedup, "ideal_{}_speedup", true, false, false, false},
    {MetricKind::kTokensPerSecond, "{}_tokens_per_s", true, false, false, false},
    {MetricKind::kBaseTokensPerSecond, "base_{}_tokens_per_s", true, false, false, false},
};

const KindInfo& info(MetricKind kind) {
  for (const KindInfo& k : kKinds) {
    if (k.kind == kind) return k;
  }
  throw Error("unknown metric kind");
}

std::string spell(const KindInfo& k, SpeedPhase phase) {
  std::string out(k.spelling);
  if (k.speed) out.replace(out.find("{}"), 2, phase_name(phase));
  return out;
}

std::optional<SpeedSetting> parse_setting(std::string_view text) {
  long long batch = 0, prefill = 0;
  int used = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "b%lld,p%lld%n", &batch, &prefill, &used) != 2 ||
      used != static_cast<int>(copy.size())) {
    return std::nullopt;
  }
  return SpeedSetting{batch, prefill};
}

}  // namespace

MetricKind quality_kind_named(std::string_view spelling) {
  for (const KindInfo& k : kKinds) {
    if (k.quality && k.spelling == spelling) return k.kind;
  }
  throw Error(concat("'", spelling, "' is not a quality metric claw knows"));
}

std::vector<MetricKind> law_metric_kinds() {
  std::vector<MetricKind> kinds;
  for (const KindInfo& k : kKinds) {
    if (k.law) kinds.push_back(k.kind);
  }
  return kinds;
}

const char* phase_name(SpeedPhase phase) {
  return phase == SpeedPhase::kPrefill ? "prefill" : "decode";
}

std::string SpeedSetting::text() const {
  return concat("b", batch, ",p", prefill);
}

MetricName MetricName::of(MetricKind kind, std::string subject) {
  CLAW_CHECK(!info(kind).speed, "a speed metric needs a phase and a setting");
  MetricName name;
  name.kind = kind;
  name.subject = std::move(subject);
  return name;
}

MetricName MetricName::speed(MetricKind kind, SpeedPhase phase, SpeedSetting setting) {
  CLAW_CHECK(info(kind).speed, "only a speed metric has a phase and a setting");
  MetricName name;
  name.kind = kind;
  name.phase = phase;
  name.setting = setting;
  return name;
}

MetricName MetricName::parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::string_view head = text.substr(0, slash);
  const std::string_view tail = slash == std::string_view::npos ? "" : text.substr(slash + 1);
  for (const KindInfo& k : kKinds) {
    if (!k.speed) {
      if (head == k.spelling && !tail.empty()) return of(k.kind, std::string(tail));
      continue;
    }
    for (const SpeedPhase phase : kSpeedPhases) {
      if (head != spell(k, phase)) continue;
      if (const std::optional<SpeedSetting> setting = parse_setting(tail)) {
        return speed(k.kind, phase, *setting);
      }
    }
  }
  throw Error(concat("'", text, "' is not a metric name claw writes"));
}

std::string MetricName::kind_text() const {
  return spell(info(kind), phase);
}

std::string MetricName::text() const {
  return kind_text() + "/" + (is_speed() ? setting.text() : subject);
}

bool MetricName::is_speed() const {
  return info(kind).speed;
}

bool MetricName::is_quality() const {
  return info(kind).quality;
}

bool MetricName::is_law_metric() const {
  return info(kind).law;
}

bool MetricName::lower_is_better() const {
  return info(kind).lower_is_better;
}

}  // namespace claw::study

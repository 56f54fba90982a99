// The compression law of the paper (v1): L = L0^α · (1+r)^β · (1 + 1/(D+1))^γ, fitted by OLS on
// logs, optionally with an intercept c (L = e^c · …); its predictions with intervals, and the
// critical ratio at which the metric reaches σ times its uncompressed value.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "laws/observation.h"
#include "laws/ols.h"

namespace claw::laws {

// The unit D enters the law in. With raw token counts 1/(D+1) is 1 at D = 0 and about 0 for any
// real recovery, so the term only says "recovered or not"; in millions of tokens it varies
// across the budgets a study tries.
enum class TokenUnit { kTokens, kMillionTokens };
const char* token_unit_name(TokenUnit unit);  // "tokens", "mtokens"
TokenUnit parse_token_unit(const std::string& text);

struct LawOptions {
  bool intercept = false;
  TokenUnit unit = TokenUnit::kMillionTokens;
};

struct CompressionLaw {
  LawOptions options;
  // False when every observation had the same D: γ cannot be identified and the law was fitted
  // without its term (γ = 0).
  bool has_recovery_term = true;
  OlsFit fit;  // regressors in order: [intercept,] log L0, log(1+r)[, log(1+1/(D+1))]
  std::vector<std::string> notes;

  double intercept() const;
  double alpha() const;
  double beta() const;
  double gamma() const;

  // log(1 + 1/(D+1)) with D in the law's unit; 0 for unlimited recovery (D = ∞).
  double recovery_term(std::optional<double> tokens) const;

  Json json() const;
  static CompressionLaw from_json(const Json& json, const std::string& source);
};

// Checks the observations (positive L and L0, r in [0, 1), D ≥ 0, enough rows) and fits.
CompressionLaw fit_compression_law(const std::vector<Observation>& observations,
                                   const LawOptions& options);

// The predicted metric with its 95% prediction interval (taken on the log scale, so it is not
// symmetric). `tokens` unset means unlimited recovery.
Interval predict(const CompressionLaw& law, double base_value, double ratio,
                 std::optional<double> tokens);

// The ratio r* at which the predicted metric equals σ · L0:
//   r* = (σ · L0^(1−α) / (e^c · (1 + 1/(D+1))^γ))^(1/β) − 1,
// which is σ^(1/β) − 1 for α = 1, c = 0 and D → ∞.
struct CriticalRatio {
  double ratio;         // may fall outside [0, 1)
  bool in_range;        // 0 <= ratio < 1
  std::string meaning;  // a sentence for people, saying what happens when it is out of range
};
CriticalRatio critical_ratio(const CompressionLaw& law, double sigma, double base_value,
                             std::optional<double> tokens);

// The form of the paper's later version, L = L0 · P0 · (1 − r)^α, fitted on log(L/L0) with
// the intercept log P0, for comparison; it has no recovery term.
struct RatioPowerLaw {
  double p0, alpha;
  OlsFit fit;
  Json json() const;
};
RatioPowerLaw fit_ratio_power_law(const std::vector<Observation>& observations);

}  // namespace claw::laws

// The forms a compression law can take, as data: which regressors each fits by OLS on the log of
// the metric, what it fixes, and what the data must vary to identify them. The paper's v1 law,
// its later version and claw's extensions are all rows of one table, fitted by one OLS with one
// set of diagnostics (law_fit.h), so they can be compared by how well they predict (selection.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace claw::laws {

// One regressor of log L. g(D) = log(1 + 1/(D/s + 1)) is the recovery term, with s the D scale.
enum class Term {
  kIntercept,         // c: 1
  kLogBase,           // α: log L0
  kLogOnePlusRatio,   // β: log(1+r)
  kLogOneMinusRatio,  // α of the later version: log(1−r)
  kRatioSquared,      // δ: r²
  kRecovery,          // γ: g(D)
  kRatioRecovery,     // η: log(1+r)·g(D), recovery whose effect grows with r
};

struct TermDefinition {
  Term term;
  const char* id;           // in law files: "log_base"
  const char* coefficient;  // in tables: "alpha (log L0)"
  bool uses_ratio, uses_tokens, uses_base;
};
const TermDefinition& term_definition(Term term);
Term term_from_id(const std::string& id, const std::string& source);

// Whether `terms` hold `term`, a term of r, a term of D.
bool has_term(const std::vector<Term>& terms, Term term);
bool has_term_of_ratio(const std::vector<Term>& terms);
bool has_term_of_tokens(const std::vector<Term>& terms);

struct LawForm {
  const char* name;     // "v1", "v1+c", "v2", "anchored+r2", ...
  const char* formula;  // for people, with g(D) as above
  const char* origin;   // where it comes from
  // L0 enters with exponent 1: the form is fitted on log(L/L0) and predicts L = L0 at r = 0 when
  // it has no other term without r.
  bool base_offset;
  std::vector<Term> terms;
  const char* fixes;  // what the form fixes that v1 fits, or ""

  bool uses(Term term) const;
  bool uses_tokens() const;  // whether any term has g(D), so a D scale applies
};

// Every form claw fits, the paper's first.
const std::vector<LawForm>& law_forms();
// The form called `name`; an error lists the names.
const LawForm& law_form(const std::string& name);
std::string law_form_names();  // "v1, v1+c, ..." for help and errors

// How D enters g(D): D/s + 1 with s tokens per unit. Fixed units, or s fitted per law.
enum class DScaleKind { kTokens, kThousands, kMillions, kFitted };
const char* d_scale_name(DScaleKind kind);  // "tokens", "ktokens", "mtokens", "fitted"
DScaleKind parse_d_scale(const std::string& text, const std::string& source);
const std::vector<DScaleKind>& d_scale_kinds();
double d_scale_tokens(DScaleKind kind);  // 1, 1e3, 1e6; NaN for kFitted

// One coefficient set for every frontier (model × dataset), or one per frontier.
enum class Scope { kPooled, kPerFrontier };
const char* scope_name(Scope scope);  // "pooled", "per-frontier"
Scope parse_scope(const std::string& text, const std::string& source);

// What is fitted: a form, how D enters it (ignored by forms without g(D)), and the scope.
struct LawSpec {
  const LawForm* form = nullptr;
  DScaleKind d_scale = DScaleKind::kMillions;
  Scope scope = Scope::kPooled;

  // "v1+rD, D in mtokens, pooled", "v1, D scale fitted, per-frontier": names the spec in tables
  // and messages.
  std::string name() const;
};

// The regressors of one observation in the order of `terms`, with g(D) at scale `s` tokens per
// unit; `tokens` unset is unlimited recovery (g = 0).
std::vector<double> regressors(const std::vector<Term>& terms, double base_value, double ratio,
                               std::optional<double> tokens, double s);

// g(D) = log(1 + 1/(D/s + 1)); 0 for unlimited recovery.
double recovery_term(std::optional<double> tokens, double s);

}  // namespace claw::laws

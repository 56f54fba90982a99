#include "laws/law_form.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "core/error.h"
#include "core/format.h"

namespace claw::laws {
namespace {

constexpr TermDefinition kTerms[] = {
    {Term::kIntercept, "intercept", "c (intercept)", false, false, false},
    {Term::kLogBase, "log_base", "alpha (log L0)", false, false, true},
    {Term::kLogOnePlusRatio, "log_one_plus_r", "beta (log(1+r))", true, false, false},
    {Term::kLogOneMinusRatio, "log_one_minus_r", "alpha (log(1-r))", true, false, false},
    {Term::kRatioSquared, "r_squared", "delta (r^2)", true, false, false},
    {Term::kRecovery, "recovery", "gamma (g(D))", false, true, false},
    {Term::kRatioRecovery, "log_one_plus_r_recovery", "eta (log(1+r) g(D))", true, true, false},
};

// The table of forms. Each extension of v1 adds one regressor; the anchored forms fix α = 1 and
// leave out every term that moves L at r = 0, so that L(0, D) = L0 for every D.
const std::vector<LawForm>& forms() {
  using T = Term;
  static const std::vector<LawForm> table = {
      {"v1",
       "L = L0^alpha (1+r)^beta (1+1/(D/s+1))^gamma",
       "the paper (arXiv 2504.04342v1), no intercept",
       false,
       {T::kLogBase, T::kLogOnePlusRatio, T::kRecovery},
       ""},
      {"v1+c",
       "L = e^c L0^alpha (1+r)^beta (1+1/(D/s+1))^gamma",
       "the paper's v1 with an intercept",
       false,
       {T::kIntercept, T::kLogBase, T::kLogOnePlusRatio, T::kRecovery},
       ""},
      {"v2",
       "L = L0 P0 (1-r)^alpha, P0 = e^c",
       "the paper's later version (v2)",
       true,
       {T::kIntercept, T::kLogOneMinusRatio},
       "alpha of L0 = 1, no recovery term"},
      {"v1+r2",
       "L = L0^alpha (1+r)^beta e^(delta r^2) (1+1/(D/s+1))^gamma",
       "claw: v1 with a curvature term",
       false,
       {T::kLogBase, T::kLogOnePlusRatio, T::kRatioSquared, T::kRecovery},
       ""},
      {"v1+rD",
       "L = L0^alpha (1+r)^(beta + eta g(D)) (1+1/(D/s+1))^gamma",
       "claw: v1 with recovery that depends on r",
       false,
       {T::kLogBase, T::kLogOnePlusRatio, T::kRecovery, T::kRatioRecovery},
       ""},
      {"v1+r2+rD",
       "L = L0^alpha (1+r)^(beta + eta g(D)) e^(delta r^2) (1+1/(D/s+1))^gamma",
       "claw: v1 with both",
       false,
       {T::kLogBase, T::kLogOnePlusRatio, T::kRatioSquared, T::kRecovery, T::kRatioRecovery},
       ""},
      {"anchored",
       "L = L0 (1+r)^(beta + eta g(D))",
       "claw: L(r = 0) = L0 for every D",
       true,
       {T::kLogOnePlusRatio, T::kRatioRecovery},
       "alpha = 1, c = 0, gamma = 0"},
      {"anchored+r2",
       "L = L0 (1+r)^(beta + eta g(D)) e^(delta r^2)",
       "claw: anchored with a curvature term",
       true,
       {T::kLogOnePlusRatio, T::kRatioSquared, T::kRatioRecovery},
       "alpha = 1, c = 0, gamma = 0"},
  };
  return table;
}

}  // namespace

const TermDefinition& term_definition(Term term) {
  for (const TermDefinition& t : kTerms) {
    if (t.term == term) return t;
  }
  CLAW_FAIL("unknown law term ", static_cast<int>(term));
}

Term term_from_id(const std::string& id, const std::string& source) {
  for (const TermDefinition& t : kTerms) {
    if (id == t.id) return t.term;
  }
  CLAW_FAIL(source, ": unknown law term '", id, "'");
}

bool has_term(const std::vector<Term>& terms, Term term) {
  return std::find(terms.begin(), terms.end(), term) != terms.end();
}

bool has_term_of_ratio(const std::vector<Term>& terms) {
  return std::any_of(terms.begin(), terms.end(),
                     [](Term t) { return term_definition(t).uses_ratio; });
}

bool has_term_of_tokens(const std::vector<Term>& terms) {
  return std::any_of(terms.begin(), terms.end(),
                     [](Term t) { return term_definition(t).uses_tokens; });
}

bool LawForm::uses(Term term) const {
  return has_term(terms, term);
}

bool LawForm::uses_tokens() const {
  return has_term_of_tokens(terms);
}

const std::vector<LawForm>& law_forms() {
  return forms();
}

std::string law_form_names() {
  return join(forms(), [](const LawForm& f) { return f.name; });
}

const LawForm& law_form(const std::string& name) {
  for (const LawForm& f : forms()) {
    if (name == f.name) return f;
  }
  CLAW_FAIL("unknown law form '", name, "'; the forms are ", law_form_names());
}

namespace {

struct DScaleDefinition {
  DScaleKind kind;
  const char* name;
  double tokens_per_unit;  // NaN: fitted per law
};
constexpr DScaleDefinition kScales[] = {
    {DScaleKind::kTokens, "tokens", 1},
    {DScaleKind::kThousands, "ktokens", 1e3},
    {DScaleKind::kMillions, "mtokens", 1e6},
    {DScaleKind::kFitted, "fitted", std::numeric_limits<double>::quiet_NaN()},
};

const DScaleDefinition& scale_definition(DScaleKind kind) {
  for (const DScaleDefinition& d : kScales) {
    if (d.kind == kind) return d;
  }
  CLAW_FAIL("unknown D scale ", static_cast<int>(kind));
}

}  // namespace

const char* d_scale_name(DScaleKind kind) {
  return scale_definition(kind).name;
}

double d_scale_tokens(DScaleKind kind) {
  return scale_definition(kind).tokens_per_unit;
}

const std::vector<DScaleKind>& d_scale_kinds() {
  static const std::vector<DScaleKind> kinds = [] {
    std::vector<DScaleKind> all;
    for (const DScaleDefinition& d : kScales) all.push_back(d.kind);
    return all;
  }();
  return kinds;
}

DScaleKind parse_d_scale(const std::string& text, const std::string& source) {
  for (const DScaleDefinition& d : kScales) {
    if (text == d.name) return d.kind;
  }
  std::string names;  // "tokens, ktokens, mtokens or fitted"
  for (std::size_t i = 0; i < std::size(kScales); ++i) {
    names += (i == 0                        ? ""
              : i + 1 == std::size(kScales) ? " or "
                                            : ", ") +
             std::string(kScales[i].name);
  }
  CLAW_FAIL(source, ": the D scale must be ", names, ", got '", text, "'");
}

const char* scope_name(Scope scope) {
  return scope == Scope::kPooled ? "pooled" : "per-frontier";
}

Scope parse_scope(const std::string& text, const std::string& source) {
  if (text == "pooled") return Scope::kPooled;
  if (text == "per-frontier") return Scope::kPerFrontier;
  CLAW_FAIL(source, ": the scope must be pooled or per-frontier, got '", text, "'");
}

std::string LawSpec::name() const {
  std::string text = form->name;
  if (form->uses_tokens()) {
    text += d_scale == DScaleKind::kFitted ? std::string(", D scale fitted")
                                           : concat(", D in ", d_scale_name(d_scale));
  }
  return text + ", " + scope_name(scope);
}

double recovery_term(std::optional<double> tokens, double s) {
  if (!tokens) return 0;
  return std::log1p(1 / (*tokens / s + 1));
}

std::vector<double> regressors(const std::vector<Term>& terms, double base_value, double ratio,
                               std::optional<double> tokens, double s) {
  std::vector<double> x;
  x.reserve(terms.size());
  for (const Term term : terms) {
    switch (term) {
      case Term::kIntercept:
        x.push_back(1);
        break;
      case Term::kLogBase:
        x.push_back(std::log(base_value));
        break;
      case Term::kLogOnePlusRatio:
        x.push_back(std::log1p(ratio));
        break;
      case Term::kLogOneMinusRatio:
        x.push_back(std::log1p(-ratio));
        break;
      case Term::kRatioSquared:
        x.push_back(ratio * ratio);
        break;
      case Term::kRecovery:
        x.push_back(recovery_term(tokens, s));
        break;
      case Term::kRatioRecovery:
        x.push_back(std::log1p(ratio) * recovery_term(tokens, s));
        break;
    }
  }
  return x;
}

}  // namespace claw::laws

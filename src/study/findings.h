// The paper's findings, each tested on a study's results with an interval: does the loss bend
// upwards in r, does the accuracy fall linearly, how much does recovery win back, do the method
// families differ as the paper says, and how fast do compressed models run. Each answer says
// whether the data agrees, disagrees, or cannot tell.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "laws/ols.h"
#include "study/study_results.h"

namespace claw::study {

// A finding's verdicts: the 95% interval settles it one way or the other, or it does not.
inline constexpr const char* kAgrees = "agrees";
inline constexpr const char* kDisagrees = "disagrees";
inline constexpr const char* kCannotTell = "cannot tell";

// The claim the distillation finding tests, and who makes it.
inline constexpr const char* kDistillationClaim =
    "distillation recovers more per token than next-token training";
inline constexpr const char* kDistillationClaimedBy = "Minitron (arXiv 2407.14679)";

// Who makes a finding's claim: the compression laws paper, unless a finding says otherwise.
inline constexpr const char* kThePaper = "The paper";

struct Finding {
  std::string topic;  // "loss/tinystories:test against r (prunenet, D = 0)"
  std::string claimed_by = kThePaper;
  std::string paper;    // what the claim says
  std::string here;     // what this study measured, with its interval
  std::string verdict;  // kAgrees, kDisagrees or kCannotTell
};

enum class Curvature { kQuadratic, kLinear, kCannotTell };

// y = a + b·r + c·r² by OLS through the points: c with its 95% interval, and whether the curve is
// quadratic (the interval excludes 0), linear (it holds 0, and even its farthest bound would bend
// the curve away from its chord by less than kLinearShare of the change over the ratios), or
// cannot tell. Needs four points or more.
inline constexpr double kLinearShare = 0.1;
struct CurvatureTest {
  laws::Coefficient quadratic;  // c
  double bend_share = 0;        // max |c bound| · (Δr)² / 4 over |y(r_max) − y(r_min)|
  Curvature shape = Curvature::kCannotTell;
};
CurvatureTest test_curvature(const std::vector<std::pair<double, double>>& points);

std::vector<Finding> paper_findings(const StudyResults& results);

}  // namespace claw::study

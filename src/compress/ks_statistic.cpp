#include "compress/ks_statistic.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace claw::compress {

double ks_statistic(std::vector<double> a, std::vector<double> b) {
  CLAW_CHECK(!a.empty() && !b.empty(),
             "the Kolmogorov-Smirnov statistic needs two non-empty samples");
  const auto finite = [](double x) { return std::isfinite(x); };
  CLAW_CHECK(std::all_of(a.begin(), a.end(), finite) && std::all_of(b.begin(), b.end(), finite),
             "the Kolmogorov-Smirnov statistic needs finite samples");
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  // Walk both sorted samples together; after consuming every copy of the smallest remaining
  // value x, the counts are #{≤ x} in each sample, so ties move both CDFs in one step.
  std::size_t i = 0, j = 0;
  double gap = 0;
  while (i < a.size() || j < b.size()) {
    const double x = j == b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    gap = std::max(gap, std::abs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  return gap;
}

}  // namespace claw::compress

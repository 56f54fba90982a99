// The two-sample Kolmogorov–Smirnov statistic: the largest gap between two empirical CDFs.
#pragma once

#include <vector>

namespace claw::compress {

// sup_x |F_a(x) − F_b(x)| with F(x) = #{samples ≤ x} / n, evaluated at every sample value so
// that ties within and across the samples count as a single step (scipy's ks_2samp statistic).
// Both samples must be non-empty and finite.
double ks_statistic(std::vector<double> a, std::vector<double> b);

}  // namespace claw::compress

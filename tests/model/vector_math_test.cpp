// The vectorised exponential against the C library's, in double precision.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "model/vector_math.h"

namespace claw::model {
namespace {

TEST(VectorMath, ExpIsWithinTwoUlpsAndZeroBelowFloat32sRange) {
  std::vector<float> x;
  for (float v = -87.25f; v <= 88.0f; v += 0.01373f) x.push_back(v);
  const std::vector<float> arguments = x;
  exp_in_place(x.data(), static_cast<std::int64_t>(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double expected = std::exp(static_cast<double>(arguments[i]));
    // Two units in the last place: 2 · 2^-23 relative.
    EXPECT_LE(std::abs(x[i] - expected), expected * std::ldexp(1.0, -22)) << arguments[i];
  }
  std::vector<float> masked = {-std::numeric_limits<float>::infinity(), -1000.0f, -87.5f, 0.0f};
  exp_in_place(masked.data(), 4);
  EXPECT_EQ(masked, (std::vector<float>{0.0f, 0.0f, 0.0f, 1.0f}));
}

}  // namespace
}  // namespace claw::model

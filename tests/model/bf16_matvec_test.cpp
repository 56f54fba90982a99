// The bf16 matrix-vector kernels against a double-precision loop over the same bf16 values.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>

#include "model/bf16_matvec.h"
#include "model/model.h"

namespace claw::model {
namespace {

// Shapes with and without vector-width remainders, and row counts not a multiple of 4 or 64.
const std::vector<std::pair<std::int64_t, std::int64_t>> kShapes = {{1, 1},  {7, 37},    {13, 16},
                                                                    {4, 15}, {197, 905}, {64, 896}};

// Σ w·x in double over the bf16 values, and Σ |w·x| to bound float32 accumulation error.
std::pair<torch::Tensor, torch::Tensor> reference(const torch::Tensor& w, const torch::Tensor& x) {
  const torch::Tensor w64 = w.to(torch::kFloat64), x64 = x.to(torch::kFloat64);
  return {at::mv(w64, x64), at::mv(w64.abs(), x64.abs())};
}

TEST(Bf16Matvec, EveryKernelMatchesTheDoubleReference) {
  torch::manual_seed(5);
  for (const auto& kernel : detail::bf16_kernels()) {
    for (const auto& [out, in] : kShapes) {
      const torch::Tensor w = torch::randn({out, in}).to(torch::kBFloat16);
      const torch::Tensor x = torch::randn({in}).to(torch::kBFloat16);
      const torch::Tensor x32 = x.to(torch::kFloat32);
      torch::Tensor y = torch::empty({out});
      kernel.run(reinterpret_cast<const std::uint16_t*>(w.data_ptr<at::BFloat16>()),
                 x32.data_ptr<float>(), in, out, y.data_ptr<float>());
      const auto [expected, magnitude] = reference(w, x);
      // float32 accumulation of `in` products: error below in·2^-24 of the sum of magnitudes.
      const torch::Tensor bound = magnitude * (in * std::ldexp(1.0, -24)) + 1e-30;
      EXPECT_TRUE(((y.to(torch::kFloat64) - expected).abs() <= bound).all().item<bool>())
          << kernel.name << " " << out << "x" << in;
    }
  }
}

TEST(Bf16Matvec, ProjectionOfOneRowMatchesTheMatrixProduct) {
  torch::manual_seed(6);
  for (const auto& [out, in] : kShapes) {
    const torch::Tensor w = torch::randn({out, in}).to(torch::kBFloat16);
    const torch::Tensor b = torch::randn({out}).to(torch::kBFloat16);
    const torch::Tensor x = torch::randn({1, 1, in}).to(torch::kBFloat16);
    const torch::Tensor y = project(x, w, b);
    ASSERT_EQ(y.sizes(), (std::vector<std::int64_t>{1, 1, out}));
    EXPECT_EQ(y.scalar_type(), torch::kBFloat16);
    const torch::Tensor expected = reference(w, x.flatten()).first + b.to(torch::kFloat64);
    // One rounding to bf16 at the end: half a unit in the last place, 2^-8 relative.
    const torch::Tensor error = (y.flatten().to(torch::kFloat64) - expected).abs();
    EXPECT_TRUE((error <= expected.abs() * std::ldexp(1.0, -8) + 1e-3).all().item<bool>())
        << out << "x" << in;
  }
}

}  // namespace
}  // namespace claw::model

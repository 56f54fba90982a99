// The matrix-vector kernels against a double-precision loop over the same float32 or bf16
// values: every kernel this CPU runs, each weight dtype, 1 to 8 vectors, and stacked groups.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <vector>

#include "model/matvec.h"
#include "model/model.h"

namespace claw::model {
namespace {

// Shapes with and without vector-width remainders, and row counts not a multiple of 4 or 16.
const std::vector<std::pair<std::int64_t, std::int64_t>> kShapes = {
    {1, 1}, {7, 37}, {13, 16}, {4, 15}, {5, 32}, {3, 70}, {197, 905}, {64, 896}};

// x [B, in] · w [out, in]ᵀ in double over the stored values, and Σ |w·x| to bound float32
// accumulation error.
std::pair<torch::Tensor, torch::Tensor> reference(const torch::Tensor& w, const torch::Tensor& x) {
  const torch::Tensor w64 = w.to(torch::kFloat64), x64 = x.to(torch::kFloat64);
  return {at::matmul(x64, w64.t()), at::matmul(x64.abs(), w64.abs().t())};
}

// float32 accumulation of `in` products: error below in·2^-24 of the sum of magnitudes.
bool within_accumulation_error(const torch::Tensor& y, const torch::Tensor& w,
                               const torch::Tensor& x) {
  const auto [expected, magnitude] = reference(w, x);
  const torch::Tensor bound = magnitude * (w.size(1) * std::ldexp(1.0, -24)) + 1e-30;
  return ((y.to(torch::kFloat64) - expected).abs() <= bound).all().item<bool>();
}

WeightDtype weight_dtype_of(torch::ScalarType type) {
  return type == torch::kBFloat16 ? WeightDtype::kBf16 : WeightDtype::kF32;
}

TEST(Matvec, EveryKernelMatchesTheDoubleReferenceForEveryBatch) {
  torch::manual_seed(5);
  for (const auto& kernel : detail::matvec_kernels()) {
    for (const torch::ScalarType dtype : {torch::kFloat32, torch::kBFloat16}) {
      for (const auto& [out, in] : kShapes) {
        for (const std::int64_t batch : {1, 2, 3, 4, 5, 8}) {
          const torch::Tensor w = torch::randn({out, in}).to(dtype);
          // The inputs are float32 values that bf16 holds, so the reference sees what the
          // kernel multiplies.
          const torch::Tensor x = torch::randn({batch, in}).to(dtype).to(torch::kFloat32);
          torch::Tensor y = torch::full({batch, out + 3}, 7.0f);  // a wider stride than out
          std::vector<float> split;
          const float* input =
              detail::prepare_input(weight_dtype_of(dtype), x.data_ptr<float>(), batch, in, split);
          kernel.run(weight_dtype_of(dtype), w.data_ptr(), out, in, input, batch,
                     y.data_ptr<float>(), out + 3);
          EXPECT_TRUE(within_accumulation_error(y.narrow(1, 0, out), w, x))
              << kernel.name << " " << dtype << " " << out << "x" << in << " batch " << batch;
          EXPECT_TRUE(y.narrow(1, out, 3).eq(7.0f).all().item<bool>()) << "wrote past its rows";
        }
      }
    }
  }
}

TEST(Matvec, AGroupIsItsMatricesStackedWithTheirBiases) {
  torch::manual_seed(7);
  for (const torch::ScalarType dtype : {torch::kFloat32, torch::kBFloat16}) {
    // q|k|v-like rows, large enough to be shared among threads, one matrix without a bias.
    const std::int64_t in = 600, batch = 3;
    const std::vector<std::int64_t> rows = {300, 75, 75};
    std::vector<torch::Tensor> weights, biases;
    std::vector<MatrixRows> group;
    for (std::size_t m = 0; m < rows.size(); ++m) {
      weights.push_back(torch::randn({rows[m], in}).to(dtype));
      biases.push_back(m == 1 ? torch::zeros({rows[m]}, dtype) : torch::randn({rows[m]}).to(dtype));
      group.push_back({weights[m].data_ptr(), m == 1 ? nullptr : biases[m].data_ptr(), rows[m]});
    }
    const torch::Tensor x = torch::randn({batch, in}).to(dtype).to(torch::kFloat32);
    torch::Tensor y = torch::empty({batch, 450});
    matvec(weight_dtype_of(dtype), group, in, x.data_ptr<float>(), batch, y.data_ptr<float>());
    const torch::Tensor stacked = torch::cat(weights), bias = torch::cat(biases);
    EXPECT_TRUE(within_accumulation_error(y - bias.to(torch::kFloat32), stacked, x)) << dtype;
  }
}

TEST(Matvec, ProjectionOfOneBf16RowMatchesTheMatrixProduct) {
  torch::manual_seed(6);
  for (const auto& [out, in] : kShapes) {
    const torch::Tensor w = torch::randn({out, in}).to(torch::kBFloat16);
    const torch::Tensor b = torch::randn({out}).to(torch::kBFloat16);
    const torch::Tensor x = torch::randn({1, 1, in}).to(torch::kBFloat16);
    const torch::Tensor y = project(x, w, b);
    ASSERT_EQ(y.sizes(), (std::vector<std::int64_t>{1, 1, out}));
    EXPECT_EQ(y.scalar_type(), torch::kBFloat16);
    const torch::Tensor expected = reference(w, x.view({1, in})).first[0] + b.to(torch::kFloat64);
    // One rounding to bf16 at the end: half a unit in the last place, 2^-8 relative.
    const torch::Tensor error = (y.flatten().to(torch::kFloat64) - expected).abs();
    EXPECT_TRUE((error <= expected.abs() * std::ldexp(1.0, -8) + 1e-3).all().item<bool>())
        << out << "x" << in;
  }
}

}  // namespace
}  // namespace claw::model

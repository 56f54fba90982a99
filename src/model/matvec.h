// Weight matrices times a few vectors on the CPU: the products of decoding, where each weight is
// read once per step for one to eight tokens, so the time is the time to stream the weights from
// memory. LibTorch's routes (OpenBLAS's M = 1 matrix product in f32, oneDNN's one-row bf16 path)
// read them at a third to a quarter of the memory bandwidth; these kernels read them at close to
// all of it.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace claw::model {

enum class WeightDtype { kF32, kBf16 };

// One weight matrix [rows, cols], row-major, in the group's dtype, with an optional bias [rows].
struct MatrixRows {
  const void* weight;
  const void* bias;  // null: none
  std::int64_t rows;
};

// The most vectors one matvec() call multiplies.
inline constexpr std::int64_t kMaxMatvecBatch = 8;

// The matrices of `group`, which all read the same `cols`-wide input, stacked as one matrix of
// their rows side by side (q|k|v, gate|up) and applied to `batch` (1..kMaxMatvecBatch) float32
// vectors x [batch, cols]: y [batch, Σ rows] = x · [W_0; W_1; ...]ᵀ + [b_0; b_1; ...]. Products
// are accumulated in float32. The rows are shared among LibTorch's threads, each weight read
// once; a group too small to pay for waking the threads runs on the calling one.
void matvec(WeightDtype dtype, std::span<const MatrixRows> group, std::int64_t cols, const float* x,
            std::int64_t batch, float* y);

// weight [out, in] bf16, x [in] bf16, bias [out] bf16 or undefined → [out] bf16, as a bf16 matmul
// rounds it: once, after the bias is added in float32. Not differentiable.
torch::Tensor bf16_matvec(const torch::Tensor& weight, const torch::Tensor& x,
                          const torch::Tensor& bias);

namespace detail {
// y[b·y_stride + r] = Σ_i w[r·cols + i]·x[b·cols + i] for rows [0, rows) and b < batch, with x
// as prepare_input() lays it out; one implementation per instruction set.
using MatvecKernel = void (*)(WeightDtype dtype, const void* w, std::int64_t rows,
                              std::int64_t cols, const float* x, std::int64_t batch, float* y,
                              std::int64_t y_stride);
struct NamedMatvecKernel {
  std::string name;
  MatvecKernel run;
};
// Every implementation this CPU can run, the fastest first (the one matvec() uses).
std::vector<NamedMatvecKernel> matvec_kernels();
// x [batch, cols] as the kernels read it: float32 weights read it as it is; bf16 weights, 32 at
// a time as 16 pairs, read each block of 32 inputs as its 16 even elements, then its 16 odd ones
// (the columns past the last whole block stay in order). Returns x, or `split` filled.
const float* prepare_input(WeightDtype dtype, const float* x, std::int64_t batch, std::int64_t cols,
                           std::vector<float>& split);
}  // namespace detail

}  // namespace claw::model

// bf16 matrix × one vector on the CPU, the product at the heart of decoding at batch 1.
// LibTorch 1.13 sends it to oneDNN, whose one-row bf16 path streams weights at a quarter of the
// memory bandwidth; this kernel reads them at close to full speed.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace claw::model {

// weight [out, in] bf16, x [in] bf16, bias [out] bf16 or undefined → [out] bf16. Products are
// accumulated in float32 and rounded once, as a bf16 matmul does. Not differentiable.
torch::Tensor bf16_matvec(const torch::Tensor& weight, const torch::Tensor& x,
                          const torch::Tensor& bias);

namespace detail {
// y[r] = Σ_i w[r·in + i]·x[i] for rows [0, rows); one implementation per instruction set.
using Bf16RowsKernel = void (*)(const std::uint16_t* w, const float* x, std::int64_t in,
                                std::int64_t rows, float* y);
struct Bf16Kernel {
  std::string name;
  Bf16RowsKernel run;
};
// Every implementation this CPU can run, the fastest first (the one bf16_matvec uses).
std::vector<Bf16Kernel> bf16_kernels();
}  // namespace detail

}  // namespace claw::model

// Moving tensors between stored bytes (io) and LibTorch.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "io/tensor_view.h"

namespace claw::model {

torch::ScalarType to_scalar_type(io::DType dtype);
io::DType to_io_dtype(torch::ScalarType type);

// The HF config spelling ("float32", "bfloat16", "float16").
std::string torch_dtype_name(torch::ScalarType type);

// A tensor owning a copy of `view`, converted to `type` on `device`.
torch::Tensor tensor_from_view(const io::TensorView& view, torch::ScalarType type,
                               torch::Device device);

// The bytes of `tensor` converted to `type` on the CPU, kept alive by the returned owner.
io::OwnedBytes tensor_bytes(const torch::Tensor& tensor, torch::ScalarType type);

// The elements of `tensor`, flattened, as T (double or std::int64_t), for records and loops.
template <typename T>
std::vector<T> to_vector(const torch::Tensor& tensor) {
  const torch::Tensor c =
      tensor.detach().to(torch::kCPU, c10::CppTypeToScalarType<T>::value).contiguous();
  return {c.data_ptr<T>(), c.data_ptr<T>() + c.numel()};
}

}  // namespace claw::model

#include "model/torch_tensors.h"

#include <memory>

#include "core/error.h"

namespace claw::model {

torch::ScalarType to_scalar_type(io::DType dtype) {
  switch (dtype) {
    case io::DType::kF64:
      return torch::kFloat64;
    case io::DType::kF32:
      return torch::kFloat32;
    case io::DType::kF16:
      return torch::kFloat16;
    case io::DType::kBF16:
      return torch::kBFloat16;
    case io::DType::kI64:
      return torch::kInt64;
    case io::DType::kI32:
      return torch::kInt32;
    case io::DType::kI16:
      return torch::kInt16;
    case io::DType::kI8:
      return torch::kInt8;
    case io::DType::kU8:
      return torch::kUInt8;
    case io::DType::kBool:
      return torch::kBool;
  }
  CLAW_FAIL("unknown stored dtype");
}

io::DType to_io_dtype(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat64:
      return io::DType::kF64;
    case torch::kFloat32:
      return io::DType::kF32;
    case torch::kFloat16:
      return io::DType::kF16;
    case torch::kBFloat16:
      return io::DType::kBF16;
    case torch::kInt64:
      return io::DType::kI64;
    case torch::kInt32:
      return io::DType::kI32;
    case torch::kInt16:
      return io::DType::kI16;
    case torch::kInt8:
      return io::DType::kI8;
    case torch::kUInt8:
      return io::DType::kU8;
    case torch::kBool:
      return io::DType::kBool;
    default:
      break;
  }
  CLAW_FAIL("tensors of type ", c10::toString(type), " cannot be stored");
}

std::string torch_dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return "float32";
    case torch::kBFloat16:
      return "bfloat16";
    case torch::kFloat16:
      return "float16";
    case torch::kFloat64:
      return "float64";
    default:
      break;
  }
  CLAW_FAIL("models cannot be stored as ", c10::toString(type));
}

torch::Tensor tensor_from_view(const io::TensorView& view, torch::ScalarType type,
                               torch::Device device) {
  // from_blob does not copy; the clone (or conversion) below gives the tensor its own memory,
  // so it outlives the memory map it came from.
  const torch::Tensor stored =
      torch::from_blob(const_cast<std::byte*>(view.data), view.shape,
                       torch::TensorOptions().dtype(to_scalar_type(view.dtype)));
  return stored.to(device, type, /*non_blocking=*/false, /*copy=*/true);
}

io::OwnedBytes tensor_bytes(const torch::Tensor& tensor, torch::ScalarType type) {
  auto owned = std::make_shared<torch::Tensor>(tensor.to(torch::kCPU, type).contiguous());
  const auto* data = static_cast<const std::byte*>(owned->data_ptr());
  const std::size_t size = static_cast<std::size_t>(owned->numel()) * owned->element_size();
  return io::OwnedBytes{owned, data, size};
}

}  // namespace claw::model

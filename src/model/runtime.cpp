#include "model/runtime.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <thread>

#include "core/error.h"

namespace claw::model {

torch::Device parse_device(const std::string& text) {
  CLAW_CHECK(text == "cpu" || text.rfind("cuda", 0) == 0,
             "--device must be cpu, cuda or cuda:N, got '", text, "'");
  const torch::Device device(text);
  CLAW_CHECK(!device.is_cuda() || torch::cuda::is_available(), "--device ", text,
             ": CUDA is not available (this build or machine has no GPU)");
  return device;
}

torch::ScalarType parse_dtype(const std::string& text) {
  if (text == "f32") return torch::kFloat32;
  if (text == "bf16") return torch::kBFloat16;
  if (text == "f16") return torch::kFloat16;
  CLAW_FAIL("--dtype must be f32, bf16 or f16, got '", text, "'");
}

std::string dtype_flag_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return "f32";
    case torch::kBFloat16:
      return "bf16";
    case torch::kFloat16:
      return "f16";
    default:
      return c10::toString(type);
  }
}

void set_threads(int threads) {
  CLAW_CHECK(threads >= 0, "--threads must be >= 0, got ", threads);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  at::set_num_threads(threads > 0 ? threads : static_cast<int>(cores));
}

}  // namespace claw::model

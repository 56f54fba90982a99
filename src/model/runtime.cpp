#include "model/runtime.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/option_table.h"

namespace claw::model {

torch::Device parse_device(const std::string& text) {
  if (text != "cpu" && text.rfind("cuda", 0) != 0) {
    throw OptionError("device", concat("must be cpu, cuda or cuda:N, got '", text, "'"));
  }
  const torch::Device device(text);
  if (device.is_cuda() && !torch::cuda::is_available()) {
    throw OptionError("device",
                      concat(text, ": CUDA is not available (this build or machine has no GPU)"));
  }
  return device;
}

int visible_cuda_devices() {
  return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
}

torch::ScalarType parse_dtype(const std::string& text) {
  if (text == "f32") return torch::kFloat32;
  if (text == "bf16") return torch::kBFloat16;
  if (text == "f16") return torch::kFloat16;
  throw OptionError("dtype", concat("must be f32, bf16 or f16, got '", text, "'"));
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

namespace {

// Runnable threads on the machine now (procs_running of /proc/stat), or 0 where unknown.
int running_threads() {
  std::ifstream stat("/proc/stat");
  std::string key;
  long long value = 0;
  while (stat >> key) {
    if (key == "procs_running" && stat >> value) return static_cast<int>(value);
    stat.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

int idle_cores() {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // The median of a few samples: one sample can catch a short burst of another process.
  std::vector<int> samples;
  for (int i = 0; i < 5; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(4));
    samples.push_back(running_threads());
  }
  std::nth_element(samples.begin(), samples.begin() + 2, samples.end());
  const int others = std::max(0, samples[2] - 1);  // this thread is one of them
  return std::clamp(cores - others, 1, cores);
}

void set_threads(int threads) {
  if (threads < 0) throw OptionError("threads", concat("must be >= 0, got ", threads));
  at::set_num_threads(threads > 0 ? threads : idle_cores());
}

}  // namespace claw::model

#include "cli/runtime_flags.h"

#include "model/runtime.h"

namespace claw::cli {

void RuntimeFlags::add_to(CLI::App& command) {
  command.add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
  command.add_option("--dtype", dtype, "compute dtype: f32, bf16 or f16")->capture_default_str();
  command.add_option("--threads", threads, "CPU threads (0: every core)")->capture_default_str();
}

model::LoadOptions RuntimeFlags::apply() const {
  model::set_threads(threads);
  return model::LoadOptions{model::parse_device(device), model::parse_dtype(dtype)};
}

}  // namespace claw::cli

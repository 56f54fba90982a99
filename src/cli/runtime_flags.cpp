#include "cli/runtime_flags.h"

#include "core/error.h"
#include "model/runtime.h"

namespace claw::cli {

void RuntimeFlags::add_to(CLI::App& command) {
  add_placement_to(command);
  command.add_option("--dtype", dtype, "compute dtype: f32, bf16, f16, or stored (as saved)")
      ->capture_default_str();
}

void RuntimeFlags::add_placement_to(CLI::App& command) {
  command.add_option("--device", device, "cpu, cuda or cuda:N")->capture_default_str();
  command
      .add_option(
          "--threads", threads,
          "CPU threads (0: every core that no other process is using when the command starts)")
      ->capture_default_str();
}

model::LoadOptions RuntimeFlags::apply_placement() const {
  model::set_threads(threads);
  return model::LoadOptions{model::parse_device(device), std::nullopt};
}

model::LoadOptions RuntimeFlags::apply() const {
  model::set_threads(threads);
  const torch::Device where = model::parse_device(device);
  if (dtype == kStoredDtype) return model::LoadOptions{where, std::nullopt};
  const torch::ScalarType type = model::parse_dtype(dtype);
  // LibTorch has no CPU kernels for f16 matrix products; bf16 is the CPU's half precision.
  CLAW_CHECK(!(where.is_cpu() && type == torch::kFloat16),
             "--dtype f16 needs --device cuda; on the CPU use bf16 or f32");
  return model::LoadOptions{where, type};
}

CLI::Option* add_out_dtype_flag(CLI::App& command, std::string& target, const std::string& help) {
  CLI::Option* flag = command.add_option("--out-dtype", target, help);
  command
      .add_option_function<std::string>(
          "--dtype",
          [](const std::string&) {
            throw Error(
                "--dtype is the dtype claw computes in; the dtype this command writes is "
                "--out-dtype");
          })
      ->group("");  // hidden: it exists to say what to use instead
  return flag;
}

}  // namespace claw::cli

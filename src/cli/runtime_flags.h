// --device, --dtype and --threads, declared once for every command that computes, and
// --out-dtype for the commands that write a model. --dtype is always the dtype claw computes in;
// the dtype a model is written in is always --out-dtype.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "model/load.h"

namespace claw::cli {

// The --dtype value that keeps each weight's stored dtype.
inline constexpr const char* kStoredDtype = "stored";

struct RuntimeFlags {
  std::string device = "cpu";
  std::string dtype = "f32";
  int threads = 0;

  void add_to(CLI::App& command);
  // --device and --threads only, for commands that keep the stored dtype.
  void add_placement_to(CLI::App& command);
  // Validates the flags, sets the thread count, and returns how to load the model.
  model::LoadOptions apply() const;
  // Sets the thread count and returns the device, leaving the dtype as stored.
  model::LoadOptions apply_placement() const;
};

// --out-dtype into `target`, for a command that writes a model (compress, convert, init,
// export). --dtype there is refused in one line naming --out-dtype: it means the compute dtype
// in every other command.
CLI::Option* add_out_dtype_flag(CLI::App& command, std::string& target, const std::string& help);

}  // namespace claw::cli

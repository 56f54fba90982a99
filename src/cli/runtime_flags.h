// --device, --dtype and --threads, declared once for every command that computes.
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

}  // namespace claw::cli

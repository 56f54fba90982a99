// --device, --dtype and --threads, declared once for every command that computes.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "model/load.h"

namespace claw::cli {

struct RuntimeFlags {
  std::string device = "cpu";
  std::string dtype = "f32";
  int threads = 0;

  void add_to(CLI::App& command);
  // Validates the flags, sets the thread count, and returns how to load the model.
  model::LoadOptions apply() const;
};

}  // namespace claw::cli

// Command-line flags made from OptionTable declarations: `lora_rank` becomes --lora-rank, with
// the declared help and default. Options several owners share (calib for every
// calibration-based method) become one flag.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/option_table.h"

namespace claw::cli {

class OptionFlags {
 public:
  // Declares a flag for each option of `table` on `command`; the help names the owners
  // ("prunenet: ..."), unless `owner` is empty (a command with one table). An error when an
  // option another owner declared has another kind.
  void add(CLI::App& command, const std::string& owner, const OptionTable& table);
  // After parsing: the values given for `table`'s options, parsed by kind. A flag given that
  // `table` lacks is an error saying which owners it belongs to.
  Json values_for(const std::string& owner, const OptionTable& table) const;

 private:
  struct Flag {
    OptionSpec spec;
    std::vector<std::string> owners;
    std::string text;
    std::vector<std::string> list;  // a list option's values, split at commas
    bool given = false;
    CLI::Option* option = nullptr;
  };
  std::vector<std::unique_ptr<Flag>> flags_;  // stable addresses for CLI11's bindings
};

}  // namespace claw::cli

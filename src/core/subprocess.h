// Running another program and reading what it printed: the scheduler's commands (sbatch,
// squeue, sacct) are talked to this way.
#pragma once

#include <string>
#include <vector>

namespace claw {

struct CommandOutput {
  int exit_code = -1;  // -1: it did not start or did not exit normally
  std::string out;     // stdout and stderr together, in the order written
  // The last non-empty line printed: what a failing command says about why.
  std::string last_line() const;
};

// Runs argv[0] (searched on PATH) with the arguments, waiting for it to end.
CommandOutput run_command(const std::vector<std::string>& argv);

// Whether `program` is an executable on PATH.
bool on_path(const std::string& program);

// `text` as one word of a POSIX shell command line.
std::string shell_quote(const std::string& text);

}  // namespace claw

// The body of every claw executable's main(): parse the command line, run, and turn whatever is
// thrown into the exit code and the one line on stderr that users and scripts rely on.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace claw::cli {

// Parses argv into `app`, then calls `run` (when given; subcommands run from their parse
// callbacks instead). Returns 0, CLI11's own code for a bad command line (with its usage
// message), or 1 after printing "PROGRAM: message" for a claw::Error (with where it was raised),
// a LibTorch error (without its backtrace) or any other exception.
int run_main(const char* program, CLI::App& app, int argc, char** argv,
             const std::function<void()>& run = {});

}  // namespace claw::cli

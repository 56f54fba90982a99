// The parsers of outside input, each wrapped as a fuzz target: a function from arbitrary bytes to
// either an accepted input or a claw::Error. Anything else escaping a target (another exception, a
// crash, a sanitizer report) is a bug in the parser. The same targets drive the libFuzzer
// harnesses (fuzz/libfuzzer_main.cpp) and the regression test over found inputs
// (tests/fuzz/fuzz_inputs_test.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace claw::fuzz {

// A valid input to start fuzzing from, made from the data directory or written by claw itself.
struct Seed {
  std::string name;
  std::string bytes;
};

struct FuzzTarget {
  const char* name;
  const char* parser;  // what it reads, for --help and reports
  // Parses `input` and uses what was read; throws claw::Error when the input is refused.
  void (*run)(std::string_view input);
  std::vector<Seed> (*seeds)();
};

// Every target (claw_fuzz_targets).
const std::vector<FuzzTarget>& fuzz_targets();
// The targets of the parsers in the layers without LibTorch (core, io, text, data, laws), which
// the sanitizer stage replays (claw_fuzz_parsers).
const std::vector<FuzzTarget>& parser_fuzz_targets();

// The target of that name among `targets`; an error listing their names otherwise.
const FuzzTarget& find_fuzz_target(const std::vector<FuzzTarget>& targets, std::string_view name);
// The target of that name among every target.
const FuzzTarget& fuzz_target(std::string_view name);

enum class Outcome { kAccepted, kRefused };

// Runs one input; a claw::Error is the refusal a user would see, anything else propagates.
Outcome run_fuzz_input(const FuzzTarget& target, std::string_view input);

// Targets whose input holds several formats read its first byte as the choice among `count`.
struct Selected {
  std::size_t choice;
  std::string_view rest;
};
Selected select_format(std::string_view input, std::size_t count);

// A seed for such a target: the choice byte, then the bytes.
Seed selected_seed(std::string name, std::size_t choice, std::string_view bytes);

}  // namespace claw::fuzz

// claw_fuzz_seeds TARGET DIR: writes the target's seeds into DIR, the start of its corpus.
// claw_fuzz_seeds --list: one line per target, name and what it parses.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "core/atomic_file.h"
#include "fuzz/fuzz_target.h"

int main(int argc, char** argv) {
  using namespace claw::fuzz;
  try {
    if (argc == 2 && std::string(argv[1]) == "--list") {
      for (const FuzzTarget& target : fuzz_targets())
        std::printf("%s\t%s\n", target.name, target.parser);
      return 0;
    }
    if (argc != 3) {
      std::fprintf(stderr, "usage: claw_fuzz_seeds TARGET DIR | --list\n");
      return 2;
    }
    const FuzzTarget& target = fuzz_target(argv[1]);
    const std::filesystem::path dir = argv[2];
    std::filesystem::create_directories(dir);
    for (const Seed& seed : target.seeds())
      claw::write_file_atomic(dir / ("seed-" + seed.name), seed.bytes);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "claw_fuzz_seeds: %s\n", e.what());
    return 1;
  }
}

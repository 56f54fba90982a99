// The libFuzzer entry point of one target, chosen at build time (CLAW_FUZZ_TARGET): a claw::Error
// is a refusal and fine; anything else escaping is reported by libFuzzer as a crash. Run with
// -close_fd_mask=2: warnings about odd inputs are printed even when quiet, and would drown
// libFuzzer's statistics.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/log.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/workspace.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  claw::log::set_level(claw::log::Level::kQuiet);
  claw::fuzz::Workspace::get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const claw::fuzz::FuzzTarget& target = claw::fuzz::fuzz_target(CLAW_FUZZ_TARGET);
  claw::fuzz::run_fuzz_input(target, {reinterpret_cast<const char*>(data), size});
  return 0;
}

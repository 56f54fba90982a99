#include "eval/harness.h"

#include "core/error.h"
#include "core/format.h"

namespace claw::eval {

Harness parse_harness(std::string_view name) {
  if (name == "0.4.4") return Harness::k0_4_4;
  if (name == "0.4.9.2") return Harness::k0_4_9_2;
  CLAW_FAIL("unknown harness version '", name, "'; expected ", harness_names_help());
}

std::string_view harness_name(Harness harness) {
  return harness == Harness::k0_4_4 ? "0.4.4" : "0.4.9.2";
}

bool adds_bos(Harness harness, const text::Tokenizer& tokenizer) {
  return harness == Harness::k0_4_9_2 && tokenizer.adds_bos_by_default();
}

std::string describe_harness(Harness harness, const text::Tokenizer& tokenizer) {
  if (harness == Harness::k0_4_4) return "lm-eval 0.4.4–0.4.9.1 semantics (no BOS)";
  return concat("lm-eval 0.4.9.2+ semantics (BOS as the tokenizer adds it: ",
                adds_bos(harness, tokenizer) ? "added" : "none", ")");
}

std::string harness_names_help() {
  return "0.4.4 (0.4.4 to 0.4.9.1: no BOS) or 0.4.9.2 (0.4.9.2 and later: BOS where the "
         "tokenizer adds it by default)";
}

}  // namespace claw::eval

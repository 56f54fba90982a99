// The lm-evaluation-harness releases whose log-likelihood semantics claw reproduces. They differ
// in where BOS goes (docs/zero-shot.md, "Harness versions"); published numbers come from both.
#pragma once

#include <string>
#include <string_view>

#include "text/tokenizer.h"

namespace claw::eval {

enum class Harness {
  // 0.4.4 to 0.4.9.1: no BOS (add_special_tokens=False); an empty context is the prefix token.
  k0_4_4,
  // 0.4.9.2 and later (PR 3347): the tokenizer's own default, so BOS for Llama-2 and Llama-3,
  // none for Qwen2.5; an empty context is the prefix token unless the continuation starts with it.
  k0_4_9_2,
};

inline constexpr Harness kDefaultHarness = Harness::k0_4_4;

// "0.4.4" or "0.4.9.2"; an error listing both for anything else.
Harness parse_harness(std::string_view name);
std::string_view harness_name(Harness harness);

// Whether requests under `harness` start with BOS for this tokenizer.
bool adds_bos(Harness harness, const text::Tokenizer& tokenizer);

// For protocol lines: "lm-eval 0.4.4–0.4.9.1 semantics (no BOS)", ...
std::string describe_harness(Harness harness, const text::Tokenizer& tokenizer);

// For help texts.
std::string harness_names_help();

}  // namespace claw::eval

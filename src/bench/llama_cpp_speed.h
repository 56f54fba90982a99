// A compressed model's speed against its base's in llama.cpp, the engine users deploy with: each
// model is exported to a temporary GGUF file (model/gguf_export.h, so per-layer shapes go as deci)
// and run by llama_cpp_driver (tools/llama_cpp_driver) on the same threads, the two alternating
// call by call. docs/speed.md.
#pragma once

#include <filesystem>

#include "bench/speed_comparison.h"
#include "core/json.h"
#include "model/gguf_export.h"

namespace claw::bench {

struct LlamaCppOptions {
  std::filesystem::path driver;  // llama_cpp_driver()
  model::GgufDtype dtype = model::GgufDtype::kF32;
  int threads = 0;  // 0: the cores idle when the measurement starts
};

// llama_cpp_driver beside the running executable, where the build puts it; an error saying how
// to get it when it is not there.
std::filesystem::path llama_cpp_driver();

// Refuses, naming the flag, what the driver cannot measure: batches other than 1.
void check_llama_cpp_speed_options(const SpeedOptions& options);

// The record compare_speed() gives, measured in llama.cpp: for each prefill length, batch 1,
// prefill tokens/s (logits at the last position) and decode tokens/s after that prompt, `reps`
// driver calls per model in turns, each after the driver's own untimed warm-up. The ideal decode
// speedup is from the bytes each file's tensors make a step read, without the zeros the export
// pads in (so padding counts against the measured speedup). When fewer cores than threads are
// idle, the record says so: llama.cpp's spinning worker threads make it fragile on a busy machine.
Json compare_speed_in_llama_cpp(const std::vector<BenchedModel>& models,
                                const SpeedOptions& options, const LlamaCppOptions& llama_cpp);

}  // namespace claw::bench

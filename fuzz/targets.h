// The fuzz targets, grouped by the layer whose parsers they exercise.
#pragma once

#include <vector>

#include "fuzz/fuzz_target.h"

namespace claw::fuzz {

std::vector<FuzzTarget>
model_file_targets();  // safetensors, HF checkpoints, configs, llama2.c, GGUF
std::vector<FuzzTarget> tokenizer_targets();  // tokenizer.json, the llama2.c tokenizer
std::vector<FuzzTarget> dataset_targets();    // corpora, zero-shot tasks, recovery data
std::vector<FuzzTarget> study_targets();      // study configs, results imports, law files

}  // namespace claw::fuzz

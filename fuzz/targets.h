// The fuzz targets, grouped by the layer whose parsers they exercise.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "io/tensor_view.h"

namespace claw::fuzz {

// In the layers without LibTorch (core, io, text, data, laws): parser_fuzz_targets().
std::vector<FuzzTarget> file_format_targets();  // safetensors, a sharded checkpoint's index
std::vector<FuzzTarget> tokenizer_targets();    // tokenizer.json, the llama2.c tokenizer
std::vector<FuzzTarget> dataset_targets();      // corpora, zero-shot tasks
std::vector<FuzzTarget> law_file_targets();     // results imports, law files

// In the model layer and above.
std::vector<FuzzTarget> model_file_targets();     // configs, llama2.c checkpoints, GGUF
std::vector<FuzzTarget> training_data_targets();  // recovery data
std::vector<FuzzTarget> study_targets();          // study configs

// Reads the first and last byte of every tensor, so a view that points outside its file is caught
// by AddressSanitizer (or faults) here rather than in a later computation.
void touch_tensors(const std::map<std::string, io::TensorView>& tensors);

}  // namespace claw::fuzz

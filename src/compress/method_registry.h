// Every compression method, declared once: its name, family, what its ratio means, its options
// and how to build it. The command line, study files, recorded settings, the report's families
// and the docs' option tables all read these declarations. A method lives in its own files and
// joins the list with one line in methods.def.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "compress/method.h"
#include "core/json.h"
#include "core/option_table.h"
#include "model/config.h"
#include "text/tokenizer.h"

namespace claw::compress {

// The paper's two families: methods that look only at the weights, and methods that run
// calibration text through the model.
enum class MethodFamily { kCalibrationFree, kCalibrationBased };
std::string family_name(MethodFamily family);  // "calibration-free", "calibration-based"
std::vector<std::string> family_names();

// What a method may use beyond its options. The tokenizer is needed only by methods that draw
// calibration text; their callers must supply it.
struct CompressionContext {
  std::uint64_t seed = 0;
  torch::Device device = torch::kCPU;
  const text::Tokenizer* tokenizer = nullptr;
  // The content hash of the model compressed, for the records a method keeps of it.
  std::string source_hash{};
};

struct MethodInfo {
  std::string name;
  MethodFamily family = MethodFamily::kCalibrationFree;
  std::string summary;        // one line: what it removes and how it chooses
  std::string ratio_meaning;  // "the fraction of each layer's FFN channels removed"
  OptionTable options;
  // Builds the method from complete option values, for a model of `config`.
  std::function<std::unique_ptr<CompressionMethod>(const Json& options, const CompressionContext&,
                                                   const model::ModelConfig& config)>
      make;
  // The fraction of non-embedding parameters the method removes from a model of `config` at
  // `ratio` (an error where the ratio leaves nothing), without compressing it: what
  // --target-params solves for. Adaptive methods give it to within one structural unit.
  std::function<double(const model::ModelConfig& config, double ratio, const Json& options)>
      removed_fraction;
  // Whether its models run in llama.cpp (model/gguf_export.h): false where they keep parts no
  // GGUF architecture has a place for (SliceGPT's shortcut matrices).
  bool runs_in_llama_cpp = true;

  bool needs_calibration() const { return family == MethodFamily::kCalibrationBased; }
};

const std::vector<MethodInfo>& registered_methods();
// The method called `name`, or nullptr.
const MethodInfo* find_method(const std::string& name);
// The method called `name`; an error listing the known ones otherwise.
const MethodInfo& method_info(const std::string& name);
// "random, magnitude, ...", for help texts.
std::string method_names_help();
// What the ratio means, each meaning once with the methods it holds for: "the fraction of each
// layer's FFN channels removed (random, magnitude, prunenet); ...".
std::string ratio_meanings_help();

// Builds `name` from `options` (defaults filled in and checked; OptionError names the field).
std::unique_ptr<CompressionMethod> make_method(const std::string& name, const Json& options,
                                               const CompressionContext& context,
                                               const model::ModelConfig& config);

// The fraction of non-embedding parameters removed between two shapes of one model.
double removed_parameter_fraction(const model::ModelConfig& before,
                                  const model::ModelConfig& after);

}  // namespace claw::compress

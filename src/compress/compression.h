// Choosing a compression method by name and running it: the entry point `claw compress` and
// studies use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compress/method.h"
#include "compress/prunenet.h"
#include "compress/slicegpt.h"
#include "core/json.h"

namespace claw::compress {

struct MethodOptions {
  std::uint64_t seed = 0;
  PruneNetOptions prunenet;  // its seed is taken from `seed`
  SliceGptOptions slicegpt;  // likewise
};

// The methods make_method() knows, "random, magnitude, ...", for help texts.
std::string method_names_help();
// An error unless make_method() knows `name`.
void check_method_name(const std::string& name);
std::unique_ptr<CompressionMethod> make_method(const std::string& name,
                                               const MethodOptions& options);

// An error unless `ratio` is a finite number in [0, 1).
void check_ratio(double ratio);

// Compresses `model` in place and returns the record compression.json stores: method, settings,
// ratio, parameter counts before and after with the fractions removed, widths, time taken and
// what the method measured.
Json compress_model(model::Model& model, CompressionMethod& method, double ratio);

}  // namespace claw::compress

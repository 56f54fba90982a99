// Running a registered compression method and writing its result: the one path `claw compress`
// and studies share.
#pragma once

#include <filesystem>
#include <string>

#include "compress/method.h"
#include "compress/method_registry.h"
#include "core/json.h"
#include "model/load.h"
#include "model/save.h"

namespace claw::compress {

// An error unless `ratio` is a finite number in [0, 1).
void check_ratio(double ratio);

// The fractions of a model's parameters a compression removed, as compression.json keeps them
// (parameters.fraction_removed).
struct FractionRemoved {
  double total = 0;
  double without_embeddings = 0;  // the embeddings and the LM head left out
  Json json() const;
  // From a record compress_model() made, read back from compression.json or just built.
  static FractionRemoved of_record(const Json& record);
};

// Compresses `model`, all of it in memory, in place, and returns the record compression.json
// stores: method, settings, ratio, parameter counts before and after with the fractions
// removed, widths, time taken and what the method measured.
Json compress_model(model::Model& model, CompressionMethod& method, double ratio);

// What to compress with, and the model it starts from.
struct CompressionJob {
  std::string method;
  Json options;  // the method's options as given; defaults fill the rest
  double ratio = 0;
  std::filesystem::path source;
};

// Compresses the model stored at `job.source`, read one decoder layer at a time in `load`'s
// dtype and on its device, and writes it to `output` as it goes: a HF directory holding
// compression.json and whatever `save` adds (the tokenizer's files), atomically. Only the
// embeddings, the head and a layer or two are in memory at once, so a model larger than the
// machine's memory compresses; the result equals compress_model()'s on the loaded model, bit
// for bit. Returns the record written.
Json write_compressed_model(const CompressionJob& job, const CompressionContext& context,
                            const model::LoadOptions& load, model::SaveOptions save,
                            const std::filesystem::path& output);

}  // namespace claw::compress

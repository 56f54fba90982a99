// A model as a GGUF file for llama.cpp: its architecture's metadata and every tensor under its
// GGUF name, in the element type asked for (docs/formats.md). The tokenizer's keys come from
// text/gguf_vocab.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/gguf.h"
#include "model/gguf_model.h"
#include "model/model.h"

namespace claw::model {

enum class GgufDtype { kF32, kF16, kBF16, kQ8_0 };
std::optional<GgufDtype> parse_gguf_dtype(std::string_view name);
std::string_view gguf_dtype_name(GgufDtype dtype);

// How the export treats a model whose layers differ (per-layer FFN widths or heads, removed
// sublayers, biases the uniform graph lacks).
enum class GgufShapes {
  // As `deci`, whose per-layer arrays state each layer as it is; a model whose layers are alike
  // stays `llama`/`qwen2`. Padded only where llama.cpp's loader forces it.
  kExact,
  // As `llama`/`qwen2`, every layer zero-padded to the widest, for engines without `deci`.
  kPadToWidest,
};

struct GgufExportOptions {
  GgufDtype dtype = GgufDtype::kF32;
  GgufShapes shapes = GgufShapes::kExact;
  std::string name;  // general.name
};

// Zeros the file stores beyond the model: which layers, why, and what they cost.
struct GgufPadding {
  std::string reason;
  std::vector<std::int64_t> layers;
  bool attention = false;  // zero KV groups (else zero FFN channels)
  std::size_t bytes = 0;   // filled in by gguf_export
};

// The architecture and stored shapes a model is written with, and each padding, without its
// weights. Refuses, with the reason, a model llama.cpp cannot run: sliced residuals, and under
// kPadToWidest biases or query widths the uniform graph has no place for.
struct GgufPlan {
  GgufLayout layout;
  std::vector<GgufPadding> paddings;
};
GgufPlan plan_gguf_export(const ModelConfig& config, const GgufExportOptions& options);

struct GgufExport {
  GgufPlan plan;
  io::GgufMetadata metadata;  // general.* and the architecture's keys
  std::vector<io::GgufTensorEntry> tensors;
  std::size_t data_bytes = 0;  // the tensors' bytes
  std::size_t padding_bytes() const;
  // Tensors asked to be Q8_0 whose rows are not whole blocks of 32, stored as F16 instead.
  std::vector<std::string> q8_fallbacks;
};

// The file's metadata and tensors (planned as above). The entries read `model` when written,
// so it must outlive them.
GgufExport gguf_export(const Model& model, const GgufExportOptions& options);

}  // namespace claw::model

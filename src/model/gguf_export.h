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
#include "model/model.h"

namespace claw::model {

enum class GgufDtype { kF32, kF16, kBF16, kQ8_0 };
std::optional<GgufDtype> parse_gguf_dtype(std::string_view name);
std::string_view gguf_dtype_name(GgufDtype dtype);

struct GgufExportOptions {
  GgufDtype dtype = GgufDtype::kF32;
  // Zero-pad layers narrower than the widest MLP (llama.cpp reads one width); false refuses
  // such a model.
  bool pad_mlp = true;
  std::string name;  // general.name
};

struct GgufExport {
  io::GgufMetadata metadata;  // general.* and the architecture's keys
  std::vector<io::GgufTensorEntry> tensors;
  std::size_t data_bytes = 0;     // the tensors' bytes
  std::size_t padding_bytes = 0;  // of those, the zeros that pad narrower MLP layers
  // Tensors asked to be Q8_0 whose rows are not whole blocks of 32, stored as F16 instead.
  std::vector<std::string> q8_fallbacks;
};

// Refuses, with the reason, a model llama.cpp's graph for its architecture cannot run: sliced
// residuals, per-layer head counts, biases the graph has no place for, and (with pad_mlp off)
// per-layer MLP widths.
void check_gguf_exportable(const ModelConfig& config, const GgufExportOptions& options);

// The file's metadata and tensors (checked as above). The entries read `model` when written,
// so it must outlive them.
GgufExport gguf_export(const Model& model, const GgufExportOptions& options);

}  // namespace claw::model

// llama2.c files: the legacy (version 0) float32 checkpoint export and the tokenizer .bin.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "io/tensor_view.h"

namespace claw::io {

struct Llama2cHeader {
  std::int32_t dim = 0;
  std::int32_t hidden_dim = 0;
  std::int32_t n_layers = 0;
  std::int32_t n_heads = 0;
  std::int32_t n_kv_heads = 0;
  std::int32_t vocab_size = 0;  // absolute value; the file's sign says whether the head is tied
  std::int32_t seq_len = 0;
  bool shared_classifier = true;
};

// A memory-mapped legacy llama2.c checkpoint: seven int32 (a negative vocab size means an untied
// classifier), then float32 arrays. Tensors are exposed stacked over layers, [out, in] like
// PyTorch: token_embedding [V,D], rms_att [L,D], wq [L,D,D], wk and wv [L,KV,D], wo [L,D,D],
// rms_ffn [L,D], w1 and w3 [L,H,D], w2 [L,D,H], rms_final [D], and wcls [V,D] when untied.
// q and k rows are in llama2.c's interleaved-pair RoPE order, as stored.
class Llama2cCheckpoint {
 public:
  explicit Llama2cCheckpoint(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_.path(); }
  const Llama2cHeader& header() const { return header_; }
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }

 private:
  MappedFile file_;
  Llama2cHeader header_;
  std::map<std::string, TensorView> tensors_;
};

// The llama2.c tokenizer file: int32 max_token_length, then per entry a float32 merge score, an
// int32 byte length and the bytes. The entry count is not stored; the file is read to its end.
struct Llama2cVocab {
  std::int32_t max_token_length = 0;
  std::vector<std::string> pieces;
  std::vector<float> scores;
};

Llama2cVocab read_llama2c_tokenizer(const std::filesystem::path& path);

}  // namespace claw::io

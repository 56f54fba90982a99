// A model on disk, opened without reading its weights: its config, the dtype it is stored in,
// and each tensor of its layout as load_model() builds it, one at a time. Loading and hashing
// both read through it, so a hash taken from the file equals the loaded model's.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/tensor_view.h"
#include "model/config.h"
#include "model/layout.h"

namespace claw::io {
class GgufFile;
class HfCheckpoint;
class Llama2cCheckpoint;
}  // namespace claw::io

namespace claw::model {

class StoredModel {
 public:
  // A directory is read as a HF checkpoint, a file starting with the GGUF magic as GGUF, any
  // other file as a legacy llama2.c checkpoint; the tensors stay memory-mapped.
  explicit StoredModel(const std::filesystem::path& path);
  ~StoredModel();
  StoredModel(const StoredModel&) = delete;
  StoredModel& operator=(const StoredModel&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const ModelConfig& config() const { return config_; }
  // The dtype of the token embedding: load_model() without a dtype gives every tensor this one.
  torch::ScalarType dtype() const;

  // Where the bytes of one layout tensor are, checked against the layout's shape.
  struct Source {
    io::TensorView view;
    // > 0: the rows are in llama2.c's interleaved RoPE order, for this many heads.
    std::int64_t interleaved_heads = 0;
    // Set when `view` points into memory made for it (a dequantised or narrowed copy) rather
    // than into the mapped file.
    std::shared_ptr<const void> owner{};
  };
  Source source(const TensorSpec& spec) const;
  // The tensor load_model() puts in `spec`'s slot, a copy; the mapped pages it was read from are
  // released, so that reading a model whole leaves one copy resident, not two.
  torch::Tensor tensor(const TensorSpec& spec, torch::ScalarType type, torch::Device device) const;
  // Refuses stored tensors the layout has no place for, which would mean a model claw does not
  // know how to run (the RoPE buffers and tied-head copies of older exports are let through).
  void check_nothing_unexpected() const;

 private:
  Source hf_source(const TensorSpec& spec) const;
  Source llama2c_source(const TensorSpec& spec) const;
  Source gguf_source(const TensorSpec& spec) const;

  std::filesystem::path path_;
  std::unique_ptr<io::HfCheckpoint> hf_;
  std::unique_ptr<io::Llama2cCheckpoint> llama2c_;
  std::unique_ptr<io::GgufFile> gguf_;
  ModelConfig config_;
  // GGUF only: whether q/k rows are interleaved, and each tensor's shape as the file stores it
  // (wider than the layout's where the file pads zero KV groups or channels).
  bool gguf_interleaved_rope_ = false;
  std::map<std::string, std::vector<std::int64_t>> gguf_stored_shapes_;
};

}  // namespace claw::model

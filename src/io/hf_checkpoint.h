// HuggingFace checkpoint directories: config.json plus model.safetensors, or shards listed by
// model.safetensors.index.json.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "io/safetensors.h"

namespace claw::io {

class HfCheckpoint {
 public:
  // Opens and validates every shard; tensors stay memory-mapped.
  explicit HfCheckpoint(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const Json& config() const { return config_; }
  std::string config_source() const { return (dir_ / "config.json").string(); }
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  // The file a tensor was read from, for error messages.
  const std::filesystem::path& file_of(const std::string& tensor_name) const;

 private:
  void add_shard(const std::filesystem::path& path, const std::vector<std::string>* expected);

  std::filesystem::path dir_;
  Json config_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, const SafetensorsFile*> owner_;
};

// Shards are cut so none exceeds this many tensor bytes (HF's own default is 5 GB).
inline constexpr std::size_t kDefaultMaxShardBytes = std::size_t{4} << 30;

// Writes config.json and the tensors into `dir` (which must exist): one model.safetensors, or
// model-0000i-of-0000n.safetensors shards plus model.safetensors.index.json when the tensors
// exceed `max_shard_bytes`. Each file is written atomically.
void write_hf_checkpoint(const std::filesystem::path& dir, const Json& config,
                         const std::vector<TensorEntry>& tensors,
                         std::size_t max_shard_bytes = kDefaultMaxShardBytes);

}  // namespace claw::io

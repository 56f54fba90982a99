#include "io/hf_checkpoint.h"

#include <cstdio>

#include "core/atomic_file.h"
#include "core/error.h"

namespace claw::io {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";
const std::map<std::string, std::string> kMetadata{{"format", "pt"}};

std::string shard_name(std::size_t index, std::size_t count) {
  char name[64];
  std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", index + 1, count);
  return name;
}

}  // namespace

HfCheckpoint::HfCheckpoint(const fs::path& dir) : dir_(dir) {
  CLAW_CHECK(fs::is_directory(dir_), dir_.string(), ": not a model directory");
  const fs::path config_path = dir_ / "config.json";
  CLAW_CHECK(fs::exists(config_path), config_path.string(), ": missing (every HF model has one)");
  config_ = read_json_file(config_path);
  CLAW_CHECK(config_.is_object(), config_path.string(), ": must be a JSON object");

  const fs::path index_path = dir_ / kIndexFile;
  if (fs::exists(index_path)) {
    const Json index = read_json_file(index_path);
    const std::string source = index_path.string();
    CLAW_CHECK(index.is_object() && index.contains("weight_map") && index["weight_map"].is_object(),
               source, ": missing the 'weight_map' object");
    std::map<std::string, std::vector<std::string>> names_by_file;
    for (const auto& [tensor, file] : index["weight_map"].items()) {
      CLAW_CHECK(file.is_string(), source, ": weight_map entry '", tensor, "' must be a file name");
      const fs::path shard = file.get<std::string>();
      CLAW_CHECK(shard.has_filename() && shard == shard.filename(), source, ": weight_map entry '",
                 tensor, "' names '", shard.string(), "', which is not a file in the directory");
      names_by_file[shard.string()].push_back(tensor);
    }
    CLAW_CHECK(!names_by_file.empty(), source, ": weight_map is empty");
    for (const auto& [file, names] : names_by_file) add_shard(dir_ / file, &names);
  } else {
    const fs::path single = dir_ / kSingleFile;
    CLAW_CHECK(fs::exists(single), dir_.string(), ": no ", kSingleFile, " and no ", kIndexFile);
    add_shard(single, nullptr);
  }
}

void HfCheckpoint::add_shard(const fs::path& path, const std::vector<std::string>* expected) {
  CLAW_CHECK(fs::exists(path), path.string(), ": shard listed in ", kIndexFile, " is missing");
  shards_.push_back(std::make_unique<SafetensorsFile>(path));
  const SafetensorsFile& shard = *shards_.back();
  if (expected != nullptr) {
    for (const std::string& name : *expected) {
      CLAW_CHECK(shard.tensors().count(name) != 0, path.string(), ": tensor '", name,
                 "' is listed in ", kIndexFile, " but not stored here");
    }
  }
  for (const auto& [name, view] : shard.tensors()) {
    const auto [it, inserted] = tensors_.emplace(name, view);
    CLAW_CHECK(inserted, path.string(), ": tensor '", name, "' is also stored in ",
               owner_.at(name)->path().string());
    owner_[name] = &shard;
  }
}

const fs::path& HfCheckpoint::file_of(const std::string& tensor_name) const {
  return owner_.at(tensor_name)->path();
}

void write_hf_checkpoint(const fs::path& dir, const Json& config,
                         const std::vector<TensorEntry>& tensors, std::size_t max_shard_bytes) {
  // Greedy cut in the given order, so related tensors (a layer's) stay together.
  std::vector<std::vector<TensorEntry>> shards(1);
  std::size_t shard_bytes = 0, total_bytes = 0;
  for (const TensorEntry& t : tensors) {
    const std::size_t bytes = t.nbytes();
    if (!shards.back().empty() && shard_bytes + bytes > max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().push_back(t);
    shard_bytes += bytes;
    total_bytes += bytes;
  }

  if (shards.size() == 1) {
    write_safetensors(dir / kSingleFile, shards.front(), kMetadata);
  } else {
    Json weight_map = Json::object();
    for (std::size_t i = 0; i < shards.size(); ++i) {
      const std::string name = shard_name(i, shards.size());
      write_safetensors(dir / name, shards[i], kMetadata);
      for (const TensorEntry& t : shards[i]) weight_map[t.name] = name;
    }
    const Json index = {{"metadata", {{"total_size", total_bytes}}}, {"weight_map", weight_map}};
    write_file_atomic(dir / kIndexFile, index.dump(2) + "\n");
  }
  write_file_atomic(dir / "config.json", config.dump(2) + "\n");
}

}  // namespace claw::io

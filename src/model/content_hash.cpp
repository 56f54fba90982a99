#include "model/content_hash.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "core/atomic_file.h"
#include "core/hash.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mapped_file.h"
#include "model/layout.h"
#include "model/stored_model.h"
#include "model/torch_tensors.h"

namespace claw::model {
namespace fs = std::filesystem;

namespace {

// The architecture, without the provenance keys that do not change the model.
void hash_architecture(ContentHasher& hasher, const ModelConfig& config) {
  ModelConfig architecture = config;
  architecture.passthrough = Json::object();
  hasher.update(config_to_hf(architecture, "").dump());
}

void hash_tensor_header(ContentHasher& hasher, const TensorSpec& spec, torch::ScalarType type) {
  hasher.update(spec.name);
  hasher.update(c10::toString(type));
  hasher.update(spec.shape.data(), spec.shape.size() * sizeof(std::int64_t));
}

void hash_tensor(ContentHasher& hasher, const TensorSpec& spec, const torch::Tensor& tensor) {
  const torch::Tensor t = tensor.to(torch::kCPU).contiguous();
  hash_tensor_header(hasher, spec, t.scalar_type());
  hasher.update(t.data_ptr(), t.numel() * t.element_size());
}

// Hashes mapped bytes a slice at a time, dropping each slice's pages once read, so that the
// resident memory stays at one slice whatever the model's size.
void hash_mapped(ContentHasher& hasher, const std::byte* data, std::size_t size) {
  constexpr std::size_t kSlice = std::size_t{64} << 20;
  for (std::size_t at = 0; at < size; at += kSlice) {
    const std::size_t n = std::min(kSlice, size - at);
    hasher.update(data + at, n);
    release_mapped_pages(data + at, n);
  }
}

// The files a model's bytes come from, each with its size and modification time: what says
// that a cached hash still holds.
Json file_fingerprints(const fs::path& path) {
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(path)) {
      const fs::path name = entry.path().filename();
      const bool weights = name.extension() == ".safetensors";
      const bool described = name == "config.json" || name == "model.safetensors.index.json";
      if (entry.is_regular_file() && (weights || described)) files.push_back(entry.path());
    }
  } else {
    files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  Json out = Json::array();
  for (const fs::path& file : files) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return nullptr;
    out.push_back({{"file", file.filename().string()},
                   {"size", static_cast<std::int64_t>(st.st_size)},
                   {"mtime_ns", static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                                    st.st_mtim.tv_nsec}});
  }
  return out;
}

fs::path cache_directory() {
  if (const char* dir = std::getenv("CLAW_CACHE"); dir != nullptr && *dir != '\0') return dir;
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir != nullptr && *dir != '\0') {
    return fs::path(dir) / "claw";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return fs::path(home) / ".cache" / "claw";
  }
  return {};
}

// One cache entry per model path, so that workers hashing different models never contend.
fs::path cache_entry(const fs::path& model_path) {
  const fs::path dir = cache_directory();
  if (dir.empty()) return {};
  ContentHasher name;
  name.update(model_path.string());
  return dir / "model-hashes" / (name.hex_digest() + ".json");
}

}  // namespace

std::string content_hash(const Model& model) {
  ContentHasher hasher;
  hash_architecture(hasher, model.config);
  for (const TensorSpec& spec : tensor_layout(model.config)) {
    hash_tensor(hasher, spec, tensor_slot(model, spec));
  }
  return hasher.hex_digest();
}

std::string content_hash(const StoredModel& stored) {
  ContentHasher hasher;
  hash_architecture(hasher, stored.config());
  const torch::ScalarType type = stored.dtype();
  for (const TensorSpec& spec : tensor_layout(stored.config())) {
    const StoredModel::Source source = stored.source(spec);
    const bool as_stored =
        source.interleaved_heads == 0 && to_scalar_type(source.view.dtype) == type;
    if (as_stored) {
      hash_tensor_header(hasher, spec, type);
      if (source.owner) {
        hasher.update(source.view.data, source.view.nbytes);  // memory of its own, not mapped
      } else {
        hash_mapped(hasher, source.view.data, source.view.nbytes);
      }
    } else {
      // Converted or reordered as the loader does, one tensor at a time.
      hash_tensor(hasher, spec, stored.tensor(spec, type, torch::kCPU));
    }
  }
  return hasher.hex_digest();
}

std::string cached_content_hash(const fs::path& path) {
  const fs::path absolute = fs::absolute(path).lexically_normal();
  const Json fingerprints = file_fingerprints(absolute);
  const fs::path entry = cache_entry(absolute);
  if (!entry.empty() && !fingerprints.is_null()) {
    std::ifstream in(entry);
    const Json cached = Json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (cached.is_object() && cached.value("path", "") == absolute.string() &&
        cached.value("files", Json()) == fingerprints && cached.contains("content_hash")) {
      return cached["content_hash"].get<std::string>();
    }
  }
  const std::string hash = content_hash(StoredModel(path));
  if (!entry.empty() && !fingerprints.is_null()) {
    try {
      fs::create_directories(entry.parent_path());
      const Json record = {
          {"path", absolute.string()}, {"files", fingerprints}, {"content_hash", hash}};
      write_file_atomic(entry, record.dump(2) + "\n");
    } catch (const std::exception& error) {
      log::debug("model hash not cached: ", error.what());
    }
  }
  return hash;
}

}  // namespace claw::model

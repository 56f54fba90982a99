// File formats read below the model layer: the safetensors header and a sharded checkpoint's
// index.
#include <map>

#include "core/json.h"
#include "core/text_file.h"
#include "fuzz/targets.h"
#include "fuzz/workspace.h"
#include "io/hf_checkpoint.h"
#include "io/safetensors.h"

namespace claw::fuzz {
namespace fs = std::filesystem;

void touch_tensors(const std::map<std::string, io::TensorView>& tensors) {
  volatile unsigned char sink = 0;
  for (const auto& [name, view] : tensors) {
    if (view.nbytes == 0) continue;
    sink = sink ^ static_cast<unsigned char>(view.data[0]) ^
           static_cast<unsigned char>(view.data[view.nbytes - 1]);
  }
}

namespace {

// A tensor of zeros to write.
io::TensorEntry zeros(std::string name, io::DType dtype, std::vector<std::int64_t> shape) {
  io::TensorEntry entry{std::move(name), dtype, std::move(shape), nullptr};
  const std::size_t size = entry.nbytes();
  entry.bytes = [size] {
    auto owner = std::make_shared<std::vector<std::byte>>(size);
    return io::OwnedBytes{owner, owner->data(), size};
  };
  return entry;
}

std::string written_safetensors(const std::vector<io::TensorEntry>& tensors,
                                const std::map<std::string, std::string>& metadata) {
  const fs::path path = Workspace::get().write("seed.safetensors", "");
  io::write_safetensors(path, tensors, metadata);
  return read_text_file(path);
}

void run_safetensors(std::string_view input) {
  const io::SafetensorsContents contents = io::parse_safetensors(
      reinterpret_cast<const std::byte*>(input.data()), input.size(), "input.safetensors");
  touch_tensors(contents.tensors);
}

std::vector<Seed> safetensors_seeds() {
  using io::DType;
  return {
      {"one_f32", written_safetensors({zeros("w", DType::kF32, {2, 3})}, {})},
      {"mixed_dtypes",
       written_safetensors({zeros("a.weight", DType::kBF16, {4, 2}),
                            zeros("b.weight", DType::kF16, {3}), zeros("c", DType::kI64, {1, 1}),
                            zeros("empty", DType::kF32, {0, 5}), zeros("scalar", DType::kU8, {})},
                           {{"format", "pt"}})},
  };
}

// A two-shard checkpoint whose index is the fuzzed input.
const fs::path& sharded_checkpoint() {
  static const fs::path dir = [] {
    Workspace& workspace = Workspace::get();
    using io::DType;
    const fs::path first = workspace.write("checkpoint/model-00001-of-00002.safetensors", "");
    io::write_safetensors(first, {zeros("a", DType::kF32, {2, 2}), zeros("b", DType::kBF16, {3})});
    const fs::path second = workspace.write("checkpoint/model-00002-of-00002.safetensors", "");
    io::write_safetensors(second, {zeros("c", DType::kF16, {4})});
    workspace.write("checkpoint/config.json", R"({"architectures": ["LlamaForCausalLM"]})");
    return first.parent_path();
  }();
  return dir;
}

void run_checkpoint_index(std::string_view input) {
  const fs::path& dir = sharded_checkpoint();
  Workspace::get().write(dir.filename() / "model.safetensors.index.json", input);
  const io::HfCheckpoint checkpoint(dir);
  touch_tensors(checkpoint.tensors());
}

std::vector<Seed> checkpoint_index_seeds() {
  const Json index = {{"metadata", {{"total_size", 30}}},
                      {"weight_map",
                       {{"a", "model-00001-of-00002.safetensors"},
                        {"b", "model-00001-of-00002.safetensors"},
                        {"c", "model-00002-of-00002.safetensors"}}}};
  const Json one_shard = {{"weight_map", {{"c", "model-00002-of-00002.safetensors"}}}};
  return {{"two_shards", index.dump(2)}, {"one_shard", one_shard.dump()}};
}

}  // namespace

std::vector<FuzzTarget> file_format_targets() {
  return {
      {"safetensors", "a safetensors file's header (io::parse_safetensors)", run_safetensors,
       safetensors_seeds},
      {"checkpoint_index", "model.safetensors.index.json of a sharded HF checkpoint",
       run_checkpoint_index, checkpoint_index_seeds},
  };
}

}  // namespace claw::fuzz

#include "io/hf_checkpoint.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "io/tensor_bytes.h"
#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using claw::Json;
using claw::io::DType;
using claw::io::HfCheckpoint;
using claw::io::TensorEntry;
using claw::testing::ScratchDir;
using claw::testing::view_bytes;

std::string checkpoint_pattern(std::size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 29 + seed * 53) & 0xff);
  return bytes;
}

TensorEntry entry(std::string name, DType dtype, std::vector<std::int64_t> shape, unsigned seed) {
  std::size_t size = claw::io::dtype_size(dtype);
  for (std::int64_t d : shape) size *= static_cast<std::size_t>(d);
  auto owned = std::make_shared<const std::string>(checkpoint_pattern(size, seed));
  return {std::move(name), dtype, std::move(shape), [owned] {
            return claw::io::OwnedBytes{owned, reinterpret_cast<const std::byte*>(owned->data()),
                                        owned->size()};
          }};
}

std::string entry_bytes(const TensorEntry& t) {
  const claw::io::OwnedBytes bytes = t.bytes();
  return std::string(reinterpret_cast<const char*>(bytes.data), bytes.size);
}

const Json kConfig = {{"architectures", {"LlamaForCausalLM"}}, {"hidden_size", 8}};

// Six 64-byte tensors and two smaller ones: a 150-byte limit cuts them into several shards.
std::vector<TensorEntry> sample_tensors() {
  std::vector<TensorEntry> tensors;
  for (unsigned i = 0; i < 6; ++i) {
    tensors.push_back(entry("layers." + std::to_string(i) + ".w", DType::kF32, {4, 4}, i));
  }
  tensors.push_back(entry("norm", DType::kBF16, {8}, 6));
  tensors.push_back(entry("steps", DType::kI64, {2}, 7));
  return tensors;
}

void expect_same_tensors(const HfCheckpoint& checkpoint, const std::vector<TensorEntry>& written) {
  ASSERT_EQ(checkpoint.tensors().size(), written.size());
  for (const TensorEntry& t : written) {
    SCOPED_TRACE(t.name);
    const auto it = checkpoint.tensors().find(t.name);
    ASSERT_NE(it, checkpoint.tensors().end());
    EXPECT_EQ(it->second.dtype, t.dtype);
    EXPECT_EQ(it->second.shape, t.shape);
    EXPECT_EQ(view_bytes(it->second), entry_bytes(t));
  }
}

std::set<std::string> checkpoint_files(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& item : fs::directory_iterator(dir)) names.insert(item.path().filename());
  return names;
}

// Succeeds when opening `dir` throws a claw::Error containing every one of `parts`.
testing::AssertionResult open_fails_with(const fs::path& dir,
                                         const std::vector<std::string>& parts) {
  try {
    const HfCheckpoint checkpoint(dir);
  } catch (const claw::Error& e) {
    const std::string message = e.what();
    for (const std::string& part : parts) {
      if (message.find(part) == std::string::npos) {
        return testing::AssertionFailure()
               << "message \"" << message << "\" lacks \"" << part << "\"";
      }
    }
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "opened a broken checkpoint";
}

void write_index(const fs::path& dir, const Json& weight_map) {
  claw::testing::write_bytes(dir / "model.safetensors.index.json",
                             Json{{"metadata", Json::object()}, {"weight_map", weight_map}}.dump());
}

TEST(HfCheckpointTest, SingleFileRoundTrip) {
  const ScratchDir dir;
  const std::vector<TensorEntry> tensors = sample_tensors();
  claw::io::write_hf_checkpoint(dir.path(), kConfig, tensors);

  EXPECT_EQ(checkpoint_files(dir.path()),
            (std::set<std::string>{"config.json", "model.safetensors"}));
  const HfCheckpoint checkpoint(dir.path());
  EXPECT_EQ(checkpoint.dir(), dir.path());
  EXPECT_EQ(checkpoint.config(), kConfig);
  EXPECT_EQ(checkpoint.config_source(), (dir / "config.json").string());
  expect_same_tensors(checkpoint, tensors);
  EXPECT_EQ(checkpoint.file_of("norm"), dir / "model.safetensors");
}

TEST(HfCheckpointTest, ShardedRoundTripWritesAnIndex) {
  const ScratchDir dir;
  const std::vector<TensorEntry> tensors = sample_tensors();
  claw::io::write_hf_checkpoint(dir.path(), kConfig, tensors, /*max_shard_bytes=*/150);

  // Greedy cut in order: two 64-byte tensors per shard; the third also takes 'norm' (144 bytes)
  // but 'steps' would make it 160, so it opens a fourth.
  const std::set<std::string> expected_files = {
      "config.json",
      "model.safetensors.index.json",
      "model-00001-of-00004.safetensors",
      "model-00002-of-00004.safetensors",
      "model-00003-of-00004.safetensors",
      "model-00004-of-00004.safetensors",
  };
  EXPECT_EQ(checkpoint_files(dir.path()), expected_files);

  const Json index = claw::read_json_file(dir / "model.safetensors.index.json");
  EXPECT_EQ(index["metadata"]["total_size"], 6 * 64 + 16 + 16);
  ASSERT_EQ(index["weight_map"].size(), tensors.size());
  EXPECT_EQ(index["weight_map"]["layers.0.w"], "model-00001-of-00004.safetensors");
  EXPECT_EQ(index["weight_map"]["layers.1.w"], "model-00001-of-00004.safetensors");
  EXPECT_EQ(index["weight_map"]["layers.5.w"], "model-00003-of-00004.safetensors");
  EXPECT_EQ(index["weight_map"]["steps"], "model-00004-of-00004.safetensors");

  const HfCheckpoint checkpoint(dir.path());
  EXPECT_EQ(checkpoint.config(), kConfig);
  expect_same_tensors(checkpoint, tensors);
  for (const auto& [name, file] : index["weight_map"].items()) {
    EXPECT_EQ(checkpoint.file_of(name), dir / file.get<std::string>()) << name;
  }
}

TEST(HfCheckpointTest, OneTensorLargerThanTheLimitGetsAShardOfItsOwn) {
  const ScratchDir dir;
  const std::vector<TensorEntry> tensors = sample_tensors();
  claw::io::write_hf_checkpoint(dir.path(), kConfig, tensors, /*max_shard_bytes=*/1);
  EXPECT_TRUE(fs::exists(dir / "model-00008-of-00008.safetensors"));
  expect_same_tensors(HfCheckpoint(dir.path()), tensors);
}

TEST(HfCheckpointTest, RejectsADirectoryWithoutConfigJson) {
  const ScratchDir dir;
  claw::io::write_hf_checkpoint(dir.path(), kConfig, sample_tensors());
  fs::remove(dir / "config.json");
  EXPECT_TRUE(open_fails_with(dir.path(), {(dir / "config.json").string(), "missing"}));
}

TEST(HfCheckpointTest, RejectsAConfigThatIsNotAnObject) {
  const ScratchDir dir;
  claw::io::write_hf_checkpoint(dir.path(), kConfig, sample_tensors());
  claw::testing::write_bytes(dir / "config.json", "[]");
  EXPECT_TRUE(open_fails_with(dir.path(), {(dir / "config.json").string(), "JSON object"}));
}

TEST(HfCheckpointTest, RejectsAPathThatIsNotADirectory) {
  const ScratchDir dir;
  claw::testing::write_bytes(dir / "file", "x");
  EXPECT_TRUE(open_fails_with(dir / "file", {(dir / "file").string(), "not a model directory"}));
}

TEST(HfCheckpointTest, RejectsADirectoryWithoutWeights) {
  const ScratchDir dir;
  claw::io::write_hf_checkpoint(dir.path(), kConfig, sample_tensors());
  fs::remove(dir / "model.safetensors");
  EXPECT_TRUE(open_fails_with(
      dir.path(), {dir.path().string(), "no model.safetensors", "model.safetensors.index.json"}));
}

TEST(HfCheckpointTest, RejectsAnIndexNamingAMissingShard) {
  const ScratchDir dir;
  claw::io::write_hf_checkpoint(dir.path(), kConfig, sample_tensors(), 150);
  fs::remove(dir / "model-00002-of-00004.safetensors");
  EXPECT_TRUE(open_fails_with(dir.path(),
                              {(dir / "model-00002-of-00004.safetensors").string(), "is missing"}));
}

TEST(HfCheckpointTest, RejectsAnIndexNamingATensorNotInItsShard) {
  const ScratchDir dir;
  claw::io::write_hf_checkpoint(dir.path(), kConfig, sample_tensors(), 150);
  Json index = claw::read_json_file(dir / "model.safetensors.index.json");
  index["weight_map"]["ghost"] = "model-00003-of-00004.safetensors";
  write_index(dir.path(), index["weight_map"]);
  EXPECT_TRUE(open_fails_with(dir.path(), {(dir / "model-00003-of-00004.safetensors").string(),
                                           "'ghost'", "not stored here"}));
}

TEST(HfCheckpointTest, RejectsAnIndexWhoseShardIsListedUnderTheWrongTensor) {
  const ScratchDir dir;
  claw::io::write_hf_checkpoint(dir.path(), kConfig, sample_tensors(), 150);
  Json index = claw::read_json_file(dir / "model.safetensors.index.json");
  index["weight_map"]["steps"] = "model-00001-of-00004.safetensors";
  write_index(dir.path(), index["weight_map"]);
  EXPECT_TRUE(open_fails_with(dir.path(), {(dir / "model-00001-of-00004.safetensors").string(),
                                           "'steps'", "not stored here"}));
}

TEST(HfCheckpointTest, RejectsTheSameTensorInTwoShards) {
  const ScratchDir dir;
  claw::io::write_safetensors(dir / "a.safetensors",
                              {entry("x", DType::kF32, {2}, 1), entry("y", DType::kF32, {2}, 2)});
  claw::io::write_safetensors(dir / "b.safetensors",
                              {entry("x", DType::kF32, {2}, 3), entry("z", DType::kF32, {2}, 4)});
  claw::testing::write_bytes(dir / "config.json", kConfig.dump());
  write_index(dir.path(), {{"x", "a.safetensors"}, {"y", "a.safetensors"}, {"z", "b.safetensors"}});
  EXPECT_TRUE(open_fails_with(
      dir.path(), {(dir / "b.safetensors").string(), "'x'", (dir / "a.safetensors").string()}));
}

TEST(HfCheckpointTest, RejectsAWeightMapEntryWithAPath) {
  const ScratchDir scratch;
  const fs::path dir = scratch / "model";
  fs::create_directory(dir);
  // A readable shard really is there, so only the path itself can be the reason for refusing it.
  claw::io::write_safetensors(scratch / "x.safetensors", {entry("w", DType::kF32, {2}, 1)});
  claw::testing::write_bytes(dir / "config.json", kConfig.dump());
  for (const char* file : {"../x.safetensors", "/etc/passwd", "sub/x.safetensors", ""}) {
    SCOPED_TRACE(file);
    write_index(dir, {{"w", file}});
    EXPECT_TRUE(open_fails_with(dir, {(dir / "model.safetensors.index.json").string(), "'w'",
                                      "not a file in the directory"}));
  }
}

TEST(HfCheckpointTest, RejectsAMalformedIndex) {
  const ScratchDir dir;
  claw::io::write_hf_checkpoint(dir.path(), kConfig, sample_tensors(), 150);
  const std::string index_path = (dir / "model.safetensors.index.json").string();
  claw::testing::write_bytes(index_path, R"({"metadata": {}})");
  EXPECT_TRUE(open_fails_with(dir.path(), {index_path, "'weight_map'"}));
  write_index(dir.path(), Json::object());
  EXPECT_TRUE(open_fails_with(dir.path(), {index_path, "weight_map is empty"}));
  write_index(dir.path(), {{"norm", 3}});
  EXPECT_TRUE(open_fails_with(dir.path(), {index_path, "'norm'", "must be a file name"}));
  claw::testing::write_bytes(index_path, "{");
  EXPECT_TRUE(open_fails_with(dir.path(), {index_path, "malformed JSON"}));
}

TEST(HfCheckpointTest, RejectsAMalformedShardNamingIt) {
  const ScratchDir dir;
  claw::io::write_hf_checkpoint(dir.path(), kConfig, sample_tensors(), 150);
  const fs::path shard = dir / "model-00004-of-00004.safetensors";
  const std::string bytes = claw::testing::read_bytes(shard);
  claw::testing::write_bytes(shard, bytes.substr(0, bytes.size() - 1));
  EXPECT_TRUE(open_fails_with(dir.path(), {shard.string(), "past the end"}));
}

}  // namespace

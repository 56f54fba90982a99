// The content hash of a stored model, taken from its mapped tensors, equals the hash of the
// loaded model for every format and layout, and the cache gives it back until a file changes.
#include <gtest/gtest.h>

#include <cstdlib>

#include "model/content_hash.h"
#include "model/load.h"
#include "model/presets.h"
#include "model/save.h"
#include "model/stored_model.h"
#include "support/test_support.h"

namespace claw::model {
namespace {

using claw::testing::ScratchDir;
namespace fs = std::filesystem;

fs::path stories260k() {
  return claw::testing::data_path("models/stories260K/stories260K.bin");
}

std::string stored_hash(const fs::path& path) {
  return content_hash(StoredModel(path));
}

// Points the hash cache at a scratch directory for the test's lifetime.
class ScratchCache {
 public:
  ScratchCache() { setenv("CLAW_CACHE", dir_.path().c_str(), 1); }
  ~ScratchCache() { unsetenv("CLAW_CACHE"); }
  const fs::path& path() const { return dir_.path(); }

 private:
  ScratchDir dir_;
};

TEST(ContentHash, Llama2cFileHashesAsItsLoadedModel) {
  // The q/k rows are reordered on load, and the hash follows the loaded order. The value is the
  // one study stores already hold for this model, so their keys stay valid.
  EXPECT_EQ(stored_hash(stories260k()), content_hash(load_model(stories260k())));
  EXPECT_EQ(stored_hash(stories260k()), "35a7e8c3b84922322942344089fef890");
}

TEST(ContentHash, HfDirectoriesHashAsTheirLoadedModels) {
  const ScratchDir scratch;
  const Model model = random_model(preset_config("tiny-qwen2"), 3, torch::kFloat32);
  SaveOptions f32, bf16, sharded;
  bf16.dtype = torch::kBFloat16;
  sharded.max_shard_bytes = 64 << 10;
  save_model(model, scratch / "f32", f32);
  save_model(model, scratch / "bf16", bf16);
  save_model(model, scratch / "sharded", sharded);
  ASSERT_TRUE(fs::exists(scratch / "sharded" / "model.safetensors.index.json"));
  for (const char* name : {"f32", "bf16", "sharded"}) {
    EXPECT_EQ(stored_hash(scratch / name), content_hash(load_model(scratch / name))) << name;
  }
  EXPECT_EQ(stored_hash(scratch / "sharded"), content_hash(model));
  EXPECT_NE(stored_hash(scratch / "bf16"), content_hash(model));
}

TEST(ContentHash, CacheAnswersUntilAFileChanges) {
  const ScratchCache cache;
  const ScratchDir scratch;
  save_model(random_model(preset_config("tiny-llama3"), 5, torch::kFloat32), scratch / "m", {});
  const std::string hash = cached_content_hash(scratch / "m");
  EXPECT_EQ(hash, stored_hash(scratch / "m"));
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(cache.path() / "model-hashes")) {
    entries.push_back(e.path());
  }
  ASSERT_EQ(entries.size(), 1u);
  // A planted value proves the second call reads the cache rather than the weights.
  Json entry = Json::parse(claw::testing::read_bytes(entries.front()));
  entry["content_hash"] = "planted";
  claw::testing::write_bytes(entries.front(), entry.dump());
  EXPECT_EQ(cached_content_hash(scratch / "m"), "planted");
  // Rewriting the weights (a new modification time) makes it hash again.
  const fs::path weights = scratch / "m" / "model.safetensors";
  fs::last_write_time(weights, fs::last_write_time(weights) + std::chrono::seconds(1));
  EXPECT_EQ(cached_content_hash(scratch / "m"), hash);
}

TEST(ContentHash, UnwritableCacheIsSkipped) {
  setenv("CLAW_CACHE", "/proc/claw-cannot-write-here", 1);
  EXPECT_EQ(cached_content_hash(stories260k()), "35a7e8c3b84922322942344089fef890");
  unsetenv("CLAW_CACHE");
}

}  // namespace
}  // namespace claw::model

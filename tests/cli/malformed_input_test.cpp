// Malformed inputs through the real executable: a non-zero exit, no crash, one line on stderr
// naming the file and the problem (docs/architecture.md, "Conventions").
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "io/hf_checkpoint.h"
#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using claw::Json;
using claw::testing::CommandResult;
using claw::testing::read_bytes;
using claw::testing::run_claw;
using claw::testing::ScratchDir;
using claw::testing::write_bytes;

using Shapes = std::vector<std::pair<std::string, std::vector<std::int64_t>>>;

// A Llama with one layer, hidden size 8, 2 heads (1 KV head), MLP width 16 and 32 tokens.
const Json kTinyConfig = {{"architectures", {"LlamaForCausalLM"}},
                          {"model_type", "llama"},
                          {"vocab_size", 32},
                          {"hidden_size", 8},
                          {"num_hidden_layers", 1},
                          {"num_attention_heads", 2},
                          {"num_key_value_heads", 1},
                          {"intermediate_size", 16},
                          {"rms_norm_eps", 1e-5},
                          {"max_position_embeddings", 64},
                          {"tie_word_embeddings", true},
                          {"bos_token_id", 1},
                          {"eos_token_id", 2}};

Shapes tiny_shapes() {
  const std::string layer = "model.layers.0.";
  return {{"model.embed_tokens.weight", {32, 8}},
          {layer + "input_layernorm.weight", {8}},
          {layer + "self_attn.q_proj.weight", {8, 8}},
          {layer + "self_attn.k_proj.weight", {4, 8}},
          {layer + "self_attn.v_proj.weight", {4, 8}},
          {layer + "self_attn.o_proj.weight", {8, 8}},
          {layer + "post_attention_layernorm.weight", {8}},
          {layer + "mlp.gate_proj.weight", {16, 8}},
          {layer + "mlp.up_proj.weight", {16, 8}},
          {layer + "mlp.down_proj.weight", {8, 16}},
          {"model.norm.weight", {8}}};
}

// Writes a loadable F32 model with these tensor shapes (small, varied finite values).
void write_model(const fs::path& dir, const Shapes& shapes) {
  fs::create_directories(dir);
  std::vector<claw::io::TensorEntry> entries;
  for (const auto& [name, shape] : shapes) {
    std::int64_t numel = 1;
    for (std::int64_t d : shape) numel *= d;
    auto values = std::make_shared<std::vector<float>>(static_cast<std::size_t>(numel));
    for (std::size_t i = 0; i < values->size(); ++i) (*values)[i] = 0.01f * (i % 13) - 0.05f;
    entries.push_back({name, claw::io::DType::kF32, shape, [values] {
                         return claw::io::OwnedBytes{
                             values, reinterpret_cast<const std::byte*>(values->data()),
                             values->size() * sizeof(float)};
                       }});
  }
  claw::io::write_hf_checkpoint(dir, kTinyConfig, entries);
}

std::string u64_le(std::uint64_t value) {
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes += static_cast<char>((value >> (8 * i)) & 0xff);
  return bytes;
}

// Splits a safetensors file into its JSON header text and its data section.
std::pair<std::string, std::string> split_safetensors(const fs::path& path) {
  const std::string bytes = read_bytes(path);
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);  // the format and this machine are little-endian
  return {bytes.substr(8, header_len), bytes.substr(8 + header_len)};
}

void edit_header(const fs::path& path, const std::function<void(Json&)>& edit) {
  const auto [header_text, data] = split_safetensors(path);
  Json header = Json::parse(header_text);
  edit(header);
  const std::string text = header.dump();
  write_bytes(path, u64_le(text.size()) + text + data);
}

void edit_config(const fs::path& dir, const std::function<void(Json&)>& edit) {
  Json config = claw::read_json_file(dir / "config.json");
  edit(config);
  write_bytes(dir / "config.json", config.dump());
}

std::string quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

// Succeeds when claw exited with status 1 (not a signal), printed nothing on stdout, and printed
// exactly one stderr line containing every one of `parts`.
testing::AssertionResult fails_cleanly(const CommandResult& result,
                                       const std::vector<std::string>& parts) {
  auto failure = [&] {
    return testing::AssertionFailure() << "exit code " << result.exit_code << ", stderr:\n"
                                       << result.err << "\n";
  };
  if (result.exit_code != 1) return failure() << "expected exit code 1";
  if (!result.out.empty()) return failure() << "unexpected stdout: " << result.out;
  const auto newline = result.err.find('\n');
  if (newline == std::string::npos || newline + 1 != result.err.size()) {
    return failure() << "expected exactly one line on stderr";
  }
  for (const std::string& part : parts) {
    if (result.err.find(part) == std::string::npos) return failure() << "lacks \"" << part << "\"";
  }
  return testing::AssertionSuccess();
}

class MalformedModelTest : public testing::Test {
 protected:
  void SetUp() override { write_model(model_, tiny_shapes()); }

  CommandResult info() const { return run_claw("info " + quoted(model_)); }

  const ScratchDir scratch_;
  const fs::path model_ = scratch_ / "model";
  const fs::path weights_ = model_ / "model.safetensors";
  const fs::path config_ = model_ / "config.json";
};

// Guards every other case: the untouched tiny model loads, so each failure below is the
// corruption's doing.
TEST_F(MalformedModelTest, TheUntouchedModelLoads) {
  const CommandResult result = run_claw("info --json " + quoted(model_));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(Json::parse(result.out)["parameters"]["total"],
            32 * 8 + (64 + 32 + 32 + 64) + 3 * 128 + 3 * 8);
}

TEST_F(MalformedModelTest, TruncatedWeights) {
  const std::string bytes = read_bytes(weights_);
  write_bytes(weights_, bytes.substr(0, bytes.size() / 2));
  EXPECT_TRUE(fails_cleanly(info(), {weights_.string(), "past the end of the data"}));
}

TEST_F(MalformedModelTest, HeaderLengthPastTheEnd) {
  const std::string bytes = read_bytes(weights_);
  write_bytes(weights_, u64_le(bytes.size()) + bytes.substr(8));
  EXPECT_TRUE(fails_cleanly(info(), {weights_.string(), "header length", "past the end"}));
}

TEST_F(MalformedModelTest, MalformedJsonHeader) {
  const auto [header, data] = split_safetensors(weights_);
  // Raw control characters in the broken text must not split the message over lines.
  const std::string broken = header.substr(0, header.size() / 2) + "\n\"\x01";
  write_bytes(weights_, u64_le(broken.size()) + broken + data);
  EXPECT_TRUE(fails_cleanly(info(), {weights_.string(), "malformed JSON"}));
}

TEST_F(MalformedModelTest, UnknownDtype) {
  edit_header(weights_, [](Json& h) { h["model.norm.weight"]["dtype"] = "F8_E4M3"; });
  EXPECT_TRUE(fails_cleanly(info(), {weights_.string(), "'model.norm.weight'", "unknown dtype"}));
}

TEST_F(MalformedModelTest, ShapeDisagreesWithByteRange) {
  edit_header(weights_, [](Json& h) { h["model.norm.weight"]["shape"] = {9}; });
  EXPECT_TRUE(fails_cleanly(info(), {weights_.string(), "'model.norm.weight'", "needs 36 bytes"}));
}

TEST_F(MalformedModelTest, OverlappingRanges) {
  edit_header(weights_, [](Json& h) {
    const std::uint64_t begin = h["model.embed_tokens.weight"]["data_offsets"][0];
    h["model.norm.weight"]["data_offsets"] = {begin + 4, begin + 36};
  });
  EXPECT_TRUE(fails_cleanly(info(), {weights_.string(), "overlap"}));
}

TEST_F(MalformedModelTest, ConfigMissingARequiredKey) {
  edit_config(model_, [](Json& c) { c.erase("hidden_size"); });
  EXPECT_TRUE(fails_cleanly(info(), {config_.string(), "'hidden_size'", "missing"}));
}

TEST_F(MalformedModelTest, MalformedConfigJson) {
  write_bytes(config_, "{\"architectures\": [");
  EXPECT_TRUE(fails_cleanly(info(), {config_.string(), "malformed JSON"}));
}

TEST_F(MalformedModelTest, UnsupportedArchitecture) {
  edit_config(model_, [](Json& c) { c["architectures"] = {"GPT2LMHeadModel"}; });
  EXPECT_TRUE(
      fails_cleanly(info(), {config_.string(), "unsupported architecture", "GPT2LMHeadModel"}));
}

TEST_F(MalformedModelTest, TensorShapeDisagreesWithConfig) {
  Shapes shapes = tiny_shapes();
  for (auto& [name, shape] : shapes) {
    if (name == "model.layers.0.mlp.down_proj.weight") shape = {8, 12};
  }
  fs::remove_all(model_);
  write_model(model_, shapes);
  EXPECT_TRUE(fails_cleanly(info(), {weights_.string(), "'model.layers.0.mlp.down_proj.weight'",
                                     "[8, 12]", "config.json implies [8, 16]"}));
}

TEST_F(MalformedModelTest, MissingTensor) {
  Shapes shapes = tiny_shapes();
  shapes.erase(
      std::remove_if(shapes.begin(), shapes.end(),
                     [](const auto& s) { return s.first == "model.layers.0.mlp.up_proj.weight"; }),
      shapes.end());
  fs::remove_all(model_);
  write_model(model_, shapes);
  EXPECT_TRUE(fails_cleanly(
      info(), {model_.string(), "missing tensor", "'model.layers.0.mlp.up_proj.weight'"}));
}

TEST_F(MalformedModelTest, GenerateWithoutATokenizer) {
  const CommandResult result = run_claw("generate --steps 4 --model " + quoted(model_));
  EXPECT_TRUE(fails_cleanly(result, {model_.string(), "no tokenizer found"}));
}

TEST_F(MalformedModelTest, GenerateWithAMissingTokenizerFile) {
  const CommandResult result =
      run_claw("generate --steps 4 --model " + quoted(model_) + " --tokenizer /nonexistent");
  EXPECT_TRUE(fails_cleanly(result, {"/nonexistent", "tokenizer file not found"}));
}

TEST_F(MalformedModelTest, OneFileOfAHfCheckpointAsTheModel) {
  for (const fs::path& file : {weights_, config_}) {
    EXPECT_TRUE(
        fails_cleanly(run_claw("info " + quoted(file)), {file.string(), "pass its directory"}));
  }
}

TEST(MalformedLlama2cTest, TruncatedCheckpoint) {
  const ScratchDir scratch;
  const fs::path truncated = scratch / "stories260K.bin";
  const std::string bytes =
      read_bytes(claw::testing::data_path("models/stories260K/stories260K.bin"));
  ASSERT_GT(bytes.size(), 1000u);
  write_bytes(truncated, bytes.substr(0, 1000));
  EXPECT_TRUE(fails_cleanly(run_claw("info " + quoted(truncated)),
                            {truncated.string(), "size 1000 bytes does not match the header"}));
}

TEST(MalformedModelPathTest, NonexistentModel) {
  const ScratchDir scratch;
  const fs::path missing = scratch / "no-such-model";
  EXPECT_TRUE(fails_cleanly(run_claw("info " + quoted(missing)),
                            {missing.string(), "no such model file or directory"}));
}

TEST_F(MalformedModelTest, HalfPrecisionOnTheCpu) {
  EXPECT_TRUE(fails_cleanly(run_claw("generate --steps 4 --dtype f16 --model " + quoted(model_)),
                            {"--dtype f16", "bf16"}));
}

TEST(MalformedLlama2cTest, TokenizerWithoutItsControlTokens) {
  const ScratchDir scratch;
  const fs::path tokenizer = scratch / "tok.bin";
  // max_token_length 4, then one entry: score 0, length 1, "a".
  write_bytes(tokenizer, std::string("\x04\0\0\0\0\0\0\0\x01\0\0\0a", 13));
  const fs::path model = claw::testing::data_path("models/stories260K/stories260K.bin");
  EXPECT_TRUE(fails_cleanly(
      run_claw("generate --steps 4 --model " + quoted(model) + " --tokenizer " + quoted(tokenizer)),
      {tokenizer.string(), "holds 1 tokens"}));
}

}  // namespace

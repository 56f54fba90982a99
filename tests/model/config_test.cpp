// HF config.json parsing against the published configs of Qwen2.5-0.5B and Llama-3.2-1B.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "model/config.h"
#include "model/load.h"

namespace claw::model {
namespace {

// Qwen/Qwen2.5-0.5B config.json, as published.
const char* kQwen25Config = R"({
  "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
  "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
  "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24,
  "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24,
  "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
  "sliding_window": 32768, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
  "transformers_version": "4.40.1", "use_cache": true, "use_sliding_window": false,
  "vocab_size": 151936})";

// meta-llama/Llama-3.2-1B config.json, as published.
const char* kLlama32Config = R"({
  "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu",
  "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192,
  "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama",
  "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8,
  "pretraining_tp": 1, "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
  "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256})";

ModelConfig parse(const std::string& text) {
  return config_from_hf(Json::parse(text), "config.json");
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Json edited(const char* base, const std::string& key, const Json& value) {
  Json json = Json::parse(base);
  if (value.is_discarded()) {
    json.erase(key);
  } else {
    json[key] = value;
  }
  return json;
}

TEST(Config, ReadsQwen25) {
  const ModelConfig c = parse(kQwen25Config);
  EXPECT_EQ(c.architecture, Architecture::kQwen2);
  EXPECT_EQ(c.vocab_size, 151936);
  EXPECT_EQ(c.hidden_size, 896);
  EXPECT_EQ(c.num_layers, 24);
  EXPECT_EQ(c.num_heads, 14);
  EXPECT_EQ(c.num_kv_heads, 2);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.intermediate_sizes, std::vector<std::int64_t>(24, 4864));
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
  EXPECT_FALSE(c.rope_scaling.has_value());
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.o_bias);
  EXPECT_EQ(c.bos_token_id, 151643);
  EXPECT_EQ(c.eos_token_ids, std::vector<std::int64_t>{151643});
  EXPECT_EQ(c.max_position_embeddings, 32768);
  EXPECT_EQ(c.passthrough["transformers_version"], "4.40.1");
}

TEST(Config, ReadsLlama32WithRopeScaling) {
  const ModelConfig c = parse(kLlama32Config);
  EXPECT_EQ(c.architecture, Architecture::kLlama);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_FALSE(c.qkv_bias);
  ASSERT_TRUE(c.rope_scaling.has_value());
  EXPECT_DOUBLE_EQ(c.rope_scaling->factor, 32);
  EXPECT_DOUBLE_EQ(c.rope_scaling->low_freq_factor, 1);
  EXPECT_DOUBLE_EQ(c.rope_scaling->high_freq_factor, 4);
  EXPECT_EQ(c.rope_scaling->original_max_position_embeddings, 8192);
}

// transformers 5 writes rope_parameters {rope_type, rope_theta, scaling fields} in place of
// rope_theta and rope_scaling.
TEST(Config, ReadsTransformers5RopeParameters) {
  Json json = Json::parse(kLlama32Config);
  Json rope = json["rope_scaling"];
  rope["rope_theta"] = 250000.0;
  json.erase("rope_scaling");
  json.erase("rope_theta");
  json["rope_parameters"] = rope;
  ModelConfig c = config_from_hf(json, "config.json");
  EXPECT_DOUBLE_EQ(c.rope_theta, 250000);
  ASSERT_TRUE(c.rope_scaling.has_value());
  EXPECT_DOUBLE_EQ(c.rope_scaling->factor, 32);
  EXPECT_EQ(c.rope_scaling->original_max_position_embeddings, 8192);
  EXPECT_EQ(c.passthrough.count("rope_parameters"), 0u);

  json["rope_parameters"] = {{"rope_theta", 500000.0}, {"rope_type", "default"}};
  c = config_from_hf(json, "config.json");
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000);
  EXPECT_FALSE(c.rope_scaling.has_value());
  json["rope_parameters"] = {{"rope_theta", 1000000.0}};
  EXPECT_DOUBLE_EQ(config_from_hf(json, "config.json").rope_theta, 1e6);
  json["rope_parameters"] = {{"rope_theta", 1000000.0}, {"rope_type", "yarn"}};
  EXPECT_NE(error_of(json.dump()).find("rope_parameters: type 'yarn'"), std::string::npos);
}

TEST(Config, ReadsEosListsAndLlamaBiases) {
  Json json = Json::parse(kLlama32Config);
  json["eos_token_id"] = {128001, 128008, 128009};
  json["attention_bias"] = true;
  const ModelConfig c = config_from_hf(json, "config.json");
  EXPECT_EQ(c.eos_token_ids, (std::vector<std::int64_t>{128001, 128008, 128009}));
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_TRUE(c.o_bias);
}

TEST(Config, RoundTripsThroughHfJson) {
  for (const char* text : {kQwen25Config, kLlama32Config}) {
    const ModelConfig c = parse(text);
    const Json written = config_to_hf(c, "float32");
    const ModelConfig again = config_from_hf(written, "written");
    EXPECT_EQ(config_to_hf(again, "float32"), written);
    EXPECT_EQ(written["torch_dtype"], "float32");
    EXPECT_EQ(written["initializer_range"], 0.02);  // unknown keys travel along
  }
}

TEST(Config, ExplicitHeadDimSurvivesARoundTripForEitherArchitecture) {
  for (const char* text : {kQwen25Config, kLlama32Config}) {
    Json json = Json::parse(text);
    json["head_dim"] = 128;
    const ModelConfig c = config_from_hf(json, "config.json");
    EXPECT_EQ(config_from_hf(config_to_hf(c, "bfloat16"), "written").head_dim, 128);
  }
}

TEST(Config, PerLayerWidthsLiveInTheClawSection) {
  ModelConfig c = parse(kQwen25Config);
  c.intermediate_sizes[3] = 1000;
  const Json written = config_to_hf(c, "bfloat16");
  EXPECT_EQ(written["intermediate_size"], 4864);
  ASSERT_TRUE(written.contains("claw"));
  EXPECT_EQ(config_from_hf(written, "written").intermediate_sizes, c.intermediate_sizes);
}

// Pruning whole KV groups leaves each layer its own count; num_key_value_heads is then the
// widest layer's, as intermediate_size is the widest width.
TEST(Config, PerLayerKvHeadsLiveInTheClawSection) {
  ModelConfig c = parse(kLlama32Config);
  EXPECT_EQ(c.kv_heads, std::vector<std::int64_t>(16, 8));
  EXPECT_TRUE(c.uniform_attention());
  EXPECT_EQ(c.group_size(), 4);
  c.kv_heads[0] = 7;
  c.kv_heads[5] = 1;
  c.kv_heads[9] = 3;
  EXPECT_FALSE(c.uniform_attention());
  EXPECT_EQ(c.layer_heads(5), 4);
  EXPECT_EQ(c.layer_q_dim(9), 12 * 64);
  EXPECT_EQ(c.layer_kv_dim(9), 3 * 64);
  const Json written = config_to_hf(c, "bfloat16");
  EXPECT_EQ(written["num_key_value_heads"], 8);
  EXPECT_EQ(written["num_attention_heads"], 32);
  EXPECT_EQ(written["claw"]["kv_heads"], Json(c.kv_heads));
  const ModelConfig again = config_from_hf(written, "written");
  EXPECT_EQ(again.kv_heads, c.kv_heads);
  EXPECT_EQ(config_to_hf(again, "bfloat16"), written);

  // With no layer left at the original width, the widest remaining one sets the plain keys.
  for (std::int64_t& kv : c.kv_heads) kv = std::min<std::int64_t>(kv, 6);
  const Json narrower = config_to_hf(c, "bfloat16");
  EXPECT_EQ(narrower["num_key_value_heads"], 6);
  EXPECT_EQ(narrower["num_attention_heads"], 24);
  EXPECT_EQ(narrower["head_dim"], 64);  // 24 · 64 is not the hidden size
  const ModelConfig read = config_from_hf(narrower, "written");
  EXPECT_EQ(read.kv_heads, c.kv_heads);
  EXPECT_EQ(read.group_size(), 4);
  EXPECT_EQ(read.head_dim, 64);
}

TEST(Config, UniformlyPrunedHeadsArePlainHf) {
  ModelConfig c = parse(kQwen25Config);
  c.kv_heads.assign(24, 1);  // one of Qwen2.5-0.5B's two KV groups left in every layer
  const Json written = config_to_hf(c, "bfloat16");
  EXPECT_FALSE(written.contains("claw"));
  EXPECT_EQ(written["num_key_value_heads"], 1);
  EXPECT_EQ(written["num_attention_heads"], 7);
  EXPECT_EQ(written["head_dim"], 64);
  const ModelConfig again = config_from_hf(written, "written");
  EXPECT_EQ(again.num_heads, 7);
  EXPECT_EQ(again.kv_heads, c.kv_heads);
  // The in-memory config, whose bound is still 2, writes the same file as the one read back.
  EXPECT_EQ(config_to_hf(again, "bfloat16"), written);
}

TEST(Config, RefusesPerLayerKvHeadsThatCannotBe) {
  auto with_kv_heads = [](const Json& kv_heads) {
    Json json = Json::parse(kQwen25Config);
    json["claw"]["kv_heads"] = kv_heads;
    return json.dump();
  };
  std::vector<std::int64_t> counts(24, 2);
  EXPECT_EQ(error_of(with_kv_heads(counts)), "");
  EXPECT_NE(error_of(with_kv_heads(std::vector<std::int64_t>(23, 2)))
                .find("claw.kv_heads must list one KV head count per layer (24)"),
            std::string::npos);
  counts[3] = 0;  // a layer without attention (sublayer pruning)
  EXPECT_EQ(error_of(with_kv_heads(counts)), "");
  counts[3] = -1;
  EXPECT_NE(
      error_of(with_kv_heads(counts)).find("must be within 0..2 (num_key_value_heads; 0 for a"),
      std::string::npos);
  counts[3] = 3;
  EXPECT_NE(error_of(with_kv_heads(counts)).find("got 3"), std::string::npos);
  counts[3] = 1;
  Json strings(counts);
  strings[4] = "2";
  EXPECT_NE(error_of(with_kv_heads(strings)).find("claw.kv_heads must hold integers"),
            std::string::npos);

  ModelConfig c = parse(kQwen25Config);
  c.kv_heads.pop_back();
  EXPECT_THROW(validate_config(c, "edited"), Error);
  EXPECT_THROW(config_to_hf(c, "bfloat16"), Error);
}

// Compensating removed channels adds o_proj and MLP biases to models of either architecture.
// Where the architecture's keys state a combination, claw writes them; otherwise the claw
// section does.
TEST(Config, BiasesTheArchitectureCannotStateLiveInTheClawSection) {
  ModelConfig qwen = parse(kQwen25Config);
  EXPECT_FALSE(config_to_hf(qwen, "bfloat16").contains("claw"));
  qwen.o_bias = true;
  qwen.mlp_bias = true;
  Json written = config_to_hf(qwen, "bfloat16");
  EXPECT_EQ(written["claw"], Json::object({{"o_bias", true}, {"mlp_bias", true}}));
  ModelConfig again = config_from_hf(written, "written");
  EXPECT_TRUE(again.qkv_bias && again.o_bias && again.mlp_bias);
  qwen.o_bias = false;
  written = config_to_hf(qwen, "bfloat16");
  EXPECT_EQ(written["claw"], Json::object({{"mlp_bias", true}}));
  again = config_from_hf(written, "written");
  EXPECT_FALSE(again.o_bias);
  EXPECT_TRUE(again.mlp_bias);

  ModelConfig llama = parse(kLlama32Config);
  for (const bool qkv : {false, true}) {
    for (const bool o : {false, true}) {
      for (const bool mlp : {false, true}) {
        llama.qkv_bias = qkv;
        llama.o_bias = o;
        llama.mlp_bias = mlp;
        written = config_to_hf(llama, "bfloat16");
        EXPECT_EQ(written["attention_bias"], qkv);
        EXPECT_EQ(written["mlp_bias"], mlp);
        // Plain HF exactly when attention_bias can cover o_proj too.
        EXPECT_EQ(written.contains("claw"), qkv != o) << written.dump();
        again = config_from_hf(written, "written");
        EXPECT_EQ(again.qkv_bias, qkv);
        EXPECT_EQ(again.o_bias, o);
        EXPECT_EQ(again.mlp_bias, mlp);
      }
    }
  }

  Json json = Json::parse(kQwen25Config);
  json["claw"]["o_bias"] = 1;
  EXPECT_NE(error_of(json.dump()).find("key 'o_bias' must be a boolean"), std::string::npos);
  qwen.qkv_bias = false;
  EXPECT_THROW(config_to_hf(qwen, "bfloat16"), Error);
}

// After layers are removed every per-layer list follows the new count, including one that
// transformers keeps in the source config (layer_types).
TEST(Config, PerLayerListsFollowARemovedLayer) {
  Json json = Json::parse(kQwen25Config);
  json["layer_types"] = std::vector<std::string>(24, "full_attention");
  ModelConfig c = config_from_hf(json, "config.json");
  c.num_layers = 23;
  c.intermediate_sizes.assign(23, 4864);
  c.intermediate_sizes[0] = 1000;
  c.kv_heads.assign(23, 2);
  c.kv_heads[22] = 1;
  c.slicing = ResidualSlicing{std::vector<std::int64_t>(47, 448)};
  c.tie_word_embeddings = false;
  const Json written = config_to_hf(c, "bfloat16");
  EXPECT_EQ(written["num_hidden_layers"], 23);
  EXPECT_EQ(written["layer_types"], Json(std::vector<std::string>(23, "full_attention")));
  const ModelConfig again = config_from_hf(written, "written");
  EXPECT_EQ(again.num_layers, 23);
  EXPECT_EQ(again.intermediate_sizes, c.intermediate_sizes);
  EXPECT_EQ(again.kv_heads, c.kv_heads);
  EXPECT_EQ(again.slicing->widths, c.slicing->widths);
  EXPECT_EQ(config_to_hf(again, "bfloat16"), written);
}

TEST(Config, RefusesWhatItCannotRun) {
  EXPECT_NE(error_of(edited(kQwen25Config, "architectures", {"GPT2LMHeadModel"}).dump())
                .find("unsupported architecture 'GPT2LMHeadModel'"),
            std::string::npos);
  EXPECT_NE(error_of(edited(kQwen25Config, "hidden_act", "gelu").dump()).find("hidden_act"),
            std::string::npos);
  EXPECT_NE(
      error_of(edited(kQwen25Config, "use_sliding_window", true).dump()).find("sliding-window"),
      std::string::npos);
  EXPECT_NE(
      error_of(
          edited(kLlama32Config, "rope_scaling", {{"rope_type", "yarn"}, {"factor", 4}}).dump())
          .find("'yarn' is not supported"),
      std::string::npos);
  EXPECT_NE(error_of(edited(kQwen25Config, "num_key_value_heads", 3).dump()).find("multiple"),
            std::string::npos);
}

// Sizes no file could back are refused before anything is allocated from them or multiplied.
TEST(Config, RefusesImplausibleSizesBeforeAllocating) {
  EXPECT_NE(error_of(edited(kQwen25Config, "num_hidden_layers", std::int64_t{1} << 40).dump())
                .find("num_hidden_layers 1099511627776 is implausibly large"),
            std::string::npos);
  EXPECT_NE(error_of(edited(kQwen25Config, "hidden_size", std::int64_t{1} << 40).dump())
                .find("hidden_size 1099511627776 is implausibly large"),
            std::string::npos);
  EXPECT_NE(error_of(edited(kQwen25Config, "intermediate_size", std::int64_t{1} << 62).dump())
                .find("intermediate size 4611686018427387904 is implausibly large"),
            std::string::npos);
  // Each size within bounds, together more parameters than any machine holds.
  Json huge = Json::parse(kQwen25Config);
  huge["hidden_size"] = 1 << 20;
  huge["num_attention_heads"] = 1 << 10;
  huge["num_key_value_heads"] = 1 << 10;
  huge["intermediate_size"] = 1 << 22;
  huge["num_hidden_layers"] = 4000;
  EXPECT_NE(error_of(huge.dump()).find("parameters, more than any model claw can hold"),
            std::string::npos);
}

// Qwen2.5-0.5B has 494M parameters: 988 MB in bfloat16, twice that in float32.
TEST(Config, WeightsThatWouldNotFitInMemoryAreRefusedBeforeLoading) {
  const ModelConfig qwen = parse(kQwen25Config);
  EXPECT_NO_THROW(check_weights_fit(qwen, torch::kBFloat16, 1'000'000'000, "qwen"));
  try {
    check_weights_fit(qwen, torch::kFloat32, 1'000'000'000, "qwen");
    ADD_FAILURE() << "1 GB taken for 494M float32 weights";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("qwen: its weights need 1.98 GB in Float but only "),
              std::string::npos)
        << e.what();
  }
}

TEST(Config, NamesTheMissingOrMistypedKey) {
  EXPECT_EQ(error_of(edited(kQwen25Config, "hidden_size", Json(Json::value_t::discarded)).dump()),
            "config.json: missing required key 'hidden_size'");
  EXPECT_EQ(error_of(edited(kQwen25Config, "hidden_size", 896.5).dump()),
            "config.json: key 'hidden_size' must be an integer, got 896.5");
  EXPECT_EQ(error_of(edited(kQwen25Config, "tie_word_embeddings", "yes").dump()),
            "config.json: key 'tie_word_embeddings' must be a boolean, got \"yes\"");
}

}  // namespace
}  // namespace claw::model

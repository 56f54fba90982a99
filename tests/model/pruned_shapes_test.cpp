// Models whose layers have different numbers of attention heads, and models with o_proj and MLP
// biases their architecture's config cannot state: what pruning whole KV groups and bias
// compensation leave behind. Each is built by hand here and checked against a reference: a
// pruned layer against the original with the removed heads' o_proj columns zeroed, cached
// decoding against the whole sequence, and a saved model against the one it was saved from.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "core/json.h"
#include "model/content_hash.h"
#include "model/decoder.h"
#include "model/kv_cache.h"
#include "model/layout.h"
#include "model/load.h"
#include "model/presets.h"
#include "model/save.h"
#include "support/test_support.h"

namespace claw::model {
namespace {

using claw::testing::data_path;
using claw::testing::ScratchDir;

// stories260K: 5 layers of 8 query heads over 4 KV heads of 8 dimensions, so groups of 2.
Model stories260k_model() {
  return load_model(data_path("models/stories260K/stories260K.bin"));
}

// `t` without the `count` entries from `first` along `dim`; an undefined bias stays undefined.
torch::Tensor without_rows(const torch::Tensor& t, std::int64_t dim, std::int64_t first,
                           std::int64_t count) {
  if (!t.defined()) return t;
  return torch::cat(
             {t.narrow(dim, 0, first), t.narrow(dim, first + count, t.size(dim) - first - count)},
             dim)
      .contiguous();
}

// Removes KV group `group` (counted among the layer's current groups) of layer `layer`: its key
// and value head, the query heads that share them, and the o_proj columns that read those.
void remove_kv_group(Model& model, std::int64_t layer, std::int64_t group) {
  ModelConfig& c = model.config;
  DecoderLayer& l = model.layers[static_cast<std::size_t>(layer)];
  const std::int64_t kv_rows = c.head_dim, q_rows = c.group_size() * c.head_dim;
  for (Linear* kv : {&l.k, &l.v}) {
    kv->weight = without_rows(kv->weight, 0, group * kv_rows, kv_rows);
    kv->bias = without_rows(kv->bias, 0, group * kv_rows, kv_rows);
  }
  l.q.weight = without_rows(l.q.weight, 0, group * q_rows, q_rows);
  l.q.bias = without_rows(l.q.bias, 0, group * q_rows, q_rows);
  l.o.weight = without_rows(l.o.weight, 1, group * q_rows, q_rows);
  --c.kv_heads[static_cast<std::size_t>(layer)];
}

// What removing the group computes, in the original shapes: its query heads still run, but
// o_proj no longer reads them.
void silence_kv_group(Model& model, std::int64_t layer, std::int64_t group) {
  const std::int64_t q_rows = model.config.group_size() * model.config.head_dim;
  model.layers[static_cast<std::size_t>(layer)].o.weight.narrow(1, group * q_rows, q_rows).zero_();
}

// (layer, group) in the original model's numbering.
using Removal = std::vector<std::pair<std::int64_t, std::int64_t>>;

// Layer 0 loses group 1, layer 2 groups 0 and 3, layer 4 all but group 2; layers 1 and 3 stay.
const Removal kNonUniform = {{0, 1}, {2, 0}, {2, 3}, {4, 0}, {4, 1}, {4, 3}};
const std::vector<std::int64_t> kNonUniformKvHeads = {3, 4, 2, 4, 1};

Model prune_groups(const Model& original, Removal removal) {
  Model model = deep_copy(original);
  // Later groups first, so that the earlier ones keep their numbers.
  std::sort(removal.begin(), removal.end(), [](const auto& a, const auto& b) { return a > b; });
  for (const auto& [layer, group] : removal) remove_kv_group(model, layer, group);
  return model;
}

Model silence_groups(const Model& original, const Removal& removal) {
  Model model = deep_copy(original);
  for (const auto& [layer, group] : removal) silence_kv_group(model, layer, group);
  return model;
}

torch::Tensor head_test_tokens(std::int64_t batch, std::int64_t steps) {
  torch::manual_seed(3);
  return torch::randint(0, 512, {batch, steps}, torch::kInt64);
}

double largest_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// The largest difference as a fraction of the largest logit: float32 sums of the same terms in
// another order (o_proj over fewer columns, one row at a time in decoding) differ by a few
// units in the last place of the largest partial sums.
double relative_difference(const torch::Tensor& logits, const torch::Tensor& reference) {
  const double scale = reference.abs().max().item<double>();
  EXPECT_GT(scale, 1) << "logits too small for a meaningful comparison";
  return largest_difference(logits, reference) / scale;
}

TEST(PerLayerHeads, PrunedLayersComputeTheOriginalWithoutTheirHeads) {
  torch::NoGradGuard no_grad;
  const Model original = stories260k_model();
  const Model model = prune_groups(original, kNonUniform);
  ASSERT_EQ(model.config.kv_heads, kNonUniformKvHeads);
  EXPECT_FALSE(model.config.uniform_attention());
  EXPECT_NO_THROW(validate_config(model.config, "pruned"));
  for (std::int64_t l = 0; l < 5; ++l) {
    const std::int64_t kv = kNonUniformKvHeads[static_cast<std::size_t>(l)];
    EXPECT_EQ(model.config.layer_heads(l), 2 * kv);
    EXPECT_EQ(model.config.layer_q_dim(l), 16 * kv);
    EXPECT_EQ(model.config.layer_kv_dim(l), 8 * kv);
  }
  // The layout, and so loading, saving and counting, expects exactly the sliced shapes.
  for (const TensorSpec& spec : tensor_layout(model.config)) {
    EXPECT_EQ(tensor_slot(model, spec).sizes().vec(), spec.shape) << spec.name;
  }
  // 14 KV heads of 20 remain; each group holds q and o (2 heads of 8, reading 64 wide) and k
  // and v (one head of 8).
  const std::int64_t per_group = 2 * (16 * 64) + 2 * (8 * 64);
  EXPECT_EQ(count_parameters(model.config).attention,
            count_parameters(original.config).attention - 6 * per_group);
  EXPECT_EQ(count_parameters(model.config).attention, 14 * per_group);

  const torch::Tensor tokens = head_test_tokens(2, 48);
  const torch::Tensor expected = forward(silence_groups(original, kNonUniform), tokens);
  const torch::Tensor logits = forward(model, tokens);
  EXPECT_LT(relative_difference(logits, expected), 2e-6);
  // The removed heads mattered: the comparison is not between two copies of the original.
  EXPECT_GT(largest_difference(forward(original, tokens), expected), 1e-2);
}

TEST(PerLayerHeads, CachedDecodingEqualsTheWholeSequence) {
  torch::NoGradGuard no_grad;
  const Model model = prune_groups(stories260k_model(), kNonUniform);
  const torch::Tensor tokens = head_test_tokens(1, 24);
  const torch::Tensor whole = forward(model, tokens);
  KvCache cache(model.config, 1, tokens.size(1), torch::kCPU, torch::kFloat32);
  // A prompt of five, then one token at a time.
  std::int64_t done = 0;
  while (done < tokens.size(1)) {
    const std::int64_t chunk = done == 0 ? 5 : 1;
    const torch::Tensor logits = forward(model, tokens.narrow(1, done, chunk), {}, &cache);
    EXPECT_LT(relative_difference(logits, whole.narrow(1, done, chunk)), 2e-6)
        << "position " << done;
    done += chunk;
  }
  EXPECT_EQ(cache.length(), tokens.size(1));
}

TEST(PerLayerHeads, PerLayerHeadsSurviveSavingAndLoading) {
  torch::NoGradGuard no_grad;
  const ScratchDir scratch;
  const Model model = prune_groups(stories260k_model(), kNonUniform);
  save_model(model, scratch / "pruned", {});

  const Json config = read_json_file(scratch / "pruned" / "config.json");
  EXPECT_EQ(config["claw"]["kv_heads"], Json(kNonUniformKvHeads));
  EXPECT_EQ(config["num_key_value_heads"], 4);  // the widest layer's
  EXPECT_EQ(config["num_attention_heads"], 8);
  EXPECT_FALSE(config.contains("head_dim"));  // 8 heads of 8 are still the hidden size

  const Model loaded = load_model(scratch / "pruned");
  EXPECT_EQ(loaded.config.kv_heads, kNonUniformKvHeads);
  EXPECT_EQ(loaded.config.group_size(), 2);
  const torch::Tensor tokens = head_test_tokens(2, 32);
  EXPECT_TRUE(forward(loaded, tokens).equal(forward(model, tokens)));
  EXPECT_EQ(content_hash(loaded), content_hash(model));

  const Json info = claw::testing::model_info((scratch / "pruned").string());
  EXPECT_EQ(info["layer_kv_heads"], Json(kNonUniformKvHeads));
  EXPECT_EQ(info["parameters"]["attention"], count_parameters(model.config).attention);
  const auto human = claw::testing::run_claw("info " + (scratch / "pruned").string());
  EXPECT_NE(human.out.find("heads          [6,8,4,8,2] (kv [3,4,2,4,1], head_dim 8)\n"),
            std::string::npos)
      << human.out;
}

// Pruned alike in every layer, a model is a plain HF model with fewer heads, which any
// HF-compatible tool loads.
TEST(PerLayerHeads, UniformlyPrunedHeadsArePlainHf) {
  torch::NoGradGuard no_grad;
  const ScratchDir scratch;
  const Model original = stories260k_model();
  Removal removal;
  for (std::int64_t l = 0; l < 5; ++l) removal.push_back({l, l % 4});
  const Model model = prune_groups(original, removal);
  EXPECT_TRUE(model.config.uniform_attention());
  EXPECT_EQ(model.config.num_kv_heads, 4);  // as before: the bound, not each layer's count
  save_model(model, scratch / "uniform", {});

  const Json config = read_json_file(scratch / "uniform" / "config.json");
  EXPECT_FALSE(config.contains("claw")) << config.dump();
  EXPECT_EQ(config["num_key_value_heads"], 3);
  EXPECT_EQ(config["num_attention_heads"], 6);
  EXPECT_EQ(config["head_dim"], 8);  // 6 heads of 8 no longer make the hidden size of 64

  const Model loaded = load_model(scratch / "uniform");
  EXPECT_EQ(loaded.config.num_kv_heads, 3);
  EXPECT_EQ(loaded.config.num_heads, 6);
  EXPECT_EQ(loaded.config.kv_heads, std::vector<std::int64_t>(5, 3));
  const torch::Tensor tokens = head_test_tokens(2, 32);
  EXPECT_TRUE(forward(loaded, tokens).equal(forward(model, tokens)));
  EXPECT_LT(relative_difference(forward(model, tokens),
                                forward(silence_groups(original, removal), tokens)),
            2e-6);
  // The in-memory model, whose num_kv_heads is still 4, and the saved one are the same model.
  EXPECT_EQ(content_hash(loaded), content_hash(model));
}

TEST(PerLayerHeads, ModelsWithLayersRemovedSurviveSavingAndLoading) {
  torch::NoGradGuard no_grad;
  const ScratchDir scratch;
  Model model = prune_groups(stories260k_model(), kNonUniform);
  model.layers.erase(model.layers.begin() + 1);
  model.config.num_layers = 4;
  model.config.intermediate_sizes.erase(model.config.intermediate_sizes.begin() + 1);
  model.config.kv_heads.erase(model.config.kv_heads.begin() + 1);
  model.config.passthrough["layer_types"] = std::vector<std::string>(5, "full_attention");
  save_model(model, scratch / "shallow", {});

  const Json config = read_json_file(scratch / "shallow" / "config.json");
  EXPECT_EQ(config["num_hidden_layers"], 4);
  EXPECT_EQ(config["claw"]["kv_heads"], Json(std::vector<std::int64_t>{3, 2, 4, 1}));
  EXPECT_EQ(config["layer_types"].size(), 4u);
  const Model loaded = load_model(scratch / "shallow");
  const torch::Tensor tokens = head_test_tokens(2, 32);
  EXPECT_TRUE(forward(loaded, tokens).equal(forward(model, tokens)));
}

// FLAP-style compensation adds an o_proj and a down_proj bias (and so gate and up biases, which
// HF's mlp_bias brings along) to a model whose architecture has no key for them.
Model with_extra_biases(ModelConfig config, bool o_bias, bool mlp_bias) {
  const Model plain = random_model(config, 5, torch::kFloat32);
  config.o_bias = o_bias;
  config.mlp_bias = mlp_bias;
  Model model = empty_model(config);
  torch::manual_seed(9);
  for (const TensorSpec& spec : tensor_layout(config)) {
    const bool added = spec.shape.size() == 1 && spec.group != ParamGroup::kNorm &&
                       (spec.role == TensorRole::kOBias || spec.group == ParamGroup::kMlp);
    tensor_slot(model, spec) =
        added ? 0.5 * torch::randn(spec.shape, torch::kFloat32) : tensor_slot(plain, spec);
  }
  return model;
}

TEST(ExtraBiases, Qwen2OAndMlpBiasesSurviveSavingAndLoading) {
  torch::NoGradGuard no_grad;
  const ScratchDir scratch;
  const ModelConfig base = preset_config("tiny-qwen2");
  const Model model = with_extra_biases(base, true, true);
  ASSERT_TRUE(model.layers[0].o.bias.defined());
  ASSERT_TRUE(model.layers[1].down.bias.defined());
  save_model(model, scratch / "qwen", {});

  const Json config = read_json_file(scratch / "qwen" / "config.json");
  EXPECT_EQ(config["claw"], Json::object({{"o_bias", true}, {"mlp_bias", true}}));
  EXPECT_FALSE(config.contains("attention_bias"));
  EXPECT_FALSE(config.contains("mlp_bias"));

  const Model loaded = load_model(scratch / "qwen");
  EXPECT_TRUE(loaded.config.qkv_bias);
  EXPECT_TRUE(loaded.config.o_bias);
  EXPECT_TRUE(loaded.config.mlp_bias);
  const torch::Tensor tokens = torch::randint(0, 1000, {2, 16}, torch::kInt64);
  const torch::Tensor logits = forward(model, tokens);
  EXPECT_TRUE(forward(loaded, tokens).equal(logits));
  // The biases take part: without them the logits differ.
  const Model without_biases = random_model(base, 5, torch::kFloat32);
  EXPECT_GT(largest_difference(forward(without_biases, tokens), logits), 1e-3);
  const ParameterCounts counts = count_parameters(loaded.config);
  EXPECT_EQ(counts.attention - count_parameters(base).attention, 2 * 32);
  EXPECT_EQ(counts.mlp - count_parameters(base).mlp, 2 * (88 + 88 + 32));
}

TEST(ExtraBiases, LlamaStatesWhatItsKeysCanAndTheClawSectionTheRest) {
  torch::NoGradGuard no_grad;
  const ScratchDir scratch;
  const ModelConfig base = preset_config("tiny-llama3");
  ASSERT_FALSE(base.qkv_bias);
  const Model model = with_extra_biases(base, true, true);
  save_model(model, scratch / "llama", {});

  const Json config = read_json_file(scratch / "llama" / "config.json");
  // attention_bias would bring q, k and v biases too; mlp_bias is Llama's own.
  EXPECT_EQ(config["attention_bias"], false);
  EXPECT_EQ(config["mlp_bias"], true);
  EXPECT_EQ(config["claw"], Json::object({{"o_bias", true}}));

  const Model loaded = load_model(scratch / "llama");
  EXPECT_FALSE(loaded.config.qkv_bias);
  EXPECT_TRUE(loaded.config.o_bias);
  EXPECT_TRUE(loaded.config.mlp_bias);
  const torch::Tensor tokens = torch::randint(0, 1000, {2, 16}, torch::kInt64);
  EXPECT_TRUE(forward(loaded, tokens).equal(forward(model, tokens)));
}

}  // namespace
}  // namespace claw::model

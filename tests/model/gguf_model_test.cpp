// GGUF export and input: claw's model written as llama.cpp reads it and read back.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "compress/shortgpt.h"
#include "core/error.h"
#include "io/gguf.h"
#include "io/llama2c.h"
#include "model/config.h"
#include "model/content_hash.h"
#include "model/gguf_export.h"
#include "model/gguf_model.h"
#include "model/load.h"
#include "model/presets.h"
#include "model/stored_model.h"
#include "support/model_checks.h"
#include "support/test_support.h"
#include "text/gguf_vocab.h"

namespace {

namespace fs = std::filesystem;
using claw::model::GgufDtype;
using claw::model::GgufShapes;
using claw::model::Model;
using claw::testing::ScratchDir;

fs::path write_gguf_model(const Model& model, const fs::path& path, GgufDtype dtype,
                          GgufShapes shapes = GgufShapes::kExact) {
  claw::model::GgufExportOptions options;
  options.dtype = dtype;
  options.shapes = shapes;
  options.name = "test";
  const claw::model::GgufExport out = claw::model::gguf_export(model, options);
  claw::io::write_gguf(path, out.metadata, out.tensors);
  return path;
}

// `model` with each layer's MLP cut to its entry of `widths` (the first channels kept).
Model with_mlp_widths(const Model& source, const std::vector<std::int64_t>& widths) {
  Model model = claw::model::deep_copy(source);
  model.config.intermediate_sizes = widths;
  for (std::size_t l = 0; l < widths.size(); ++l) {
    claw::model::DecoderLayer& layer = model.layers[l];
    layer.gate.weight = layer.gate.weight.narrow(0, 0, widths[l]).contiguous();
    layer.up.weight = layer.up.weight.narrow(0, 0, widths[l]).contiguous();
    layer.down.weight = layer.down.weight.narrow(1, 0, widths[l]).contiguous();
  }
  return model;
}

Model tiny_preset(const std::string& name) {
  return claw::model::random_model(claw::model::preset_config(name), 5, torch::kFloat32);
}

void expect_exact_round_trip(const Model& model, const ScratchDir& dir,
                             GgufShapes shapes = GgufShapes::kExact) {
  const fs::path path = write_gguf_model(model, dir / "m.gguf", GgufDtype::kF32, shapes);
  const Model loaded = claw::model::load_model(path);
  EXPECT_EQ(loaded.config.intermediate_sizes, model.config.intermediate_sizes);
  EXPECT_EQ(loaded.config.kv_heads, model.config.kv_heads);
  EXPECT_EQ(loaded.config.rms_norm_eps, model.config.rms_norm_eps);
  EXPECT_EQ(loaded.config.rope_theta, model.config.rope_theta);
  EXPECT_EQ(loaded.config.rope_scaling.has_value(), model.config.rope_scaling.has_value());
  EXPECT_EQ(loaded.config.tie_word_embeddings, model.config.tie_word_embeddings);
  EXPECT_EQ(loaded.config.max_position_embeddings, model.config.max_position_embeddings);
  for (const claw::model::TensorSpec& spec : claw::model::tensor_layout(model.config)) {
    ASSERT_TRUE(
        torch::equal(claw::model::tensor_slot(loaded, spec), claw::model::tensor_slot(model, spec)))
        << spec.name;
  }
  EXPECT_EQ(claw::testing::largest_logit_difference(model, loaded), 0.0);
  // The hash taken from the file is the loaded model's.
  EXPECT_EQ(claw::model::content_hash(claw::model::StoredModel(path)),
            claw::model::content_hash(loaded));
}

TEST(GgufRopeLayout, PermutationsAreInverses) {
  const torch::Tensor w = torch::arange(48, torch::kFloat32).reshape({12, 4});
  const torch::Tensor b = torch::arange(12, torch::kFloat32);
  for (std::int64_t heads : {1, 3}) {
    EXPECT_TRUE(torch::equal(claw::model::interleaved_to_half_rotation(
                                 claw::model::half_rotation_to_interleaved(w, heads), heads),
                             w));
    EXPECT_TRUE(torch::equal(claw::model::half_rotation_to_interleaved(
                                 claw::model::interleaved_to_half_rotation(b, heads), heads),
                             b));
  }
  // One head of 4: half-rotation rows (re0, re1, im0, im1) interleave to (re0, im0, re1, im1).
  EXPECT_TRUE(torch::equal(claw::model::half_rotation_to_interleaved(b.narrow(0, 0, 4), 1),
                           torch::tensor({0.0f, 2.0f, 1.0f, 3.0f})));
}

TEST(GgufExport, LlamaQueriesAreStoredInLlama2csInterleavedOrder) {
  // llama.cpp's llama graph rotates interleaved pairs, as llama2.c does: the exported rows must
  // be the checkpoint's own.
  const ScratchDir dir;
  const fs::path path =
      write_gguf_model(claw::testing::load_stories260k(), dir / "s.gguf", GgufDtype::kF32);
  const claw::io::GgufFile file(path);
  const claw::io::Llama2cCheckpoint checkpoint(
      claw::testing::data_path("models/stories260K/stories260K.bin"));
  for (const char* pair : {"q", "k"}) {
    const claw::io::TensorView& stacked = checkpoint.tensors().at(std::string("w") + pair);
    const claw::io::GgufTensor* stored =
        file.find_tensor(std::string("blk.0.attn_") + pair + ".weight");
    ASSERT_NE(stored, nullptr);
    const std::size_t layer_bytes = stacked.nbytes / static_cast<std::size_t>(stacked.shape[0]);
    ASSERT_EQ(stored->nbytes, layer_bytes);
    EXPECT_EQ(std::memcmp(stored->data, stacked.data, layer_bytes), 0) << pair;
  }
}

TEST(GgufRoundTrip, Stories260kIsExact) {
  const ScratchDir dir;
  expect_exact_round_trip(claw::testing::load_stories260k(), dir);
}

TEST(GgufRoundTrip, TinyQwen2IsExact) {
  const ScratchDir dir;
  expect_exact_round_trip(tiny_preset("tiny-qwen2"), dir);
}

TEST(GgufRoundTrip, TinyLlama3WithRopeScalingIsExact) {
  const ScratchDir dir;
  const Model model = tiny_preset("tiny-llama3");
  expect_exact_round_trip(model, dir);
  const Model loaded = claw::model::load_model(dir / "m.gguf");
  ASSERT_TRUE(loaded.config.rope_scaling.has_value());
  EXPECT_EQ(loaded.config.rope_scaling->factor, model.config.rope_scaling->factor);
  EXPECT_EQ(loaded.config.rope_scaling->original_max_position_embeddings,
            model.config.rope_scaling->original_max_position_embeddings);
}

TEST(GgufRoundTrip, Llama3ScalingIsReadFromRopeFreqsAlone) {
  // Files from other converters state llama3 scaling only as rope_freqs.weight.
  const ScratchDir dir;
  const Model model = tiny_preset("tiny-llama3");
  const claw::model::GgufExport plan = claw::model::gguf_export(model, {});
  claw::io::GgufMetadata plain;
  for (const auto& entry : plan.metadata) {
    if (entry.first.rfind("claw.rope.", 0) != 0) plain.push_back(entry);
  }
  claw::io::write_gguf(dir / "r.gguf", plain, plan.tensors);
  const Model loaded = claw::model::load_model(dir / "r.gguf");
  ASSERT_TRUE(loaded.config.rope_scaling.has_value());
  EXPECT_EQ(loaded.config.rope_scaling->factor, 8.0);
  EXPECT_EQ(claw::testing::largest_logit_difference(model, loaded), 0.0);
}

TEST(GgufRoundTrip, AGgufNamedFileWithoutTheMagicIsRefusedAsGguf) {
  const ScratchDir dir;
  claw::testing::write_bytes(dir / "x.gguf", std::string(64, 'x'));
  claw::testing::expect_error_containing([&] { claw::model::load_model(dir / "x.gguf"); },
                                         "at byte 0: bad magic");
}

TEST(GgufRoundTrip, UniformlyPrunedMlpIsExact) {
  const ScratchDir dir;
  const Model base = claw::testing::load_stories260k();
  const std::vector<std::int64_t> widths(base.config.intermediate_sizes.size(), 96);
  expect_exact_round_trip(with_mlp_widths(base, widths), dir);
  const claw::io::GgufFile file(dir / "m.gguf");
  EXPECT_EQ(file.find(claw::model::kGgufIntermediateSizesKey), nullptr);
}

// stories260K with layers 0 and 2 narrowed to 50 and 7 channels.
Model uneven_widths(const Model& base) {
  std::vector<std::int64_t> widths = base.config.intermediate_sizes;
  widths[0] = 50;
  widths[2] = 7;
  return with_mlp_widths(base, widths);
}

TEST(GgufRoundTrip, PerLayerWidthsAreDeciUnpadded) {
  const ScratchDir dir;
  const Model base = claw::testing::load_stories260k();
  const Model pruned = uneven_widths(base);
  const std::vector<std::int64_t>& widths = pruned.config.intermediate_sizes;
  expect_exact_round_trip(pruned, dir);
  const claw::io::GgufFile file(dir / "m.gguf");
  EXPECT_EQ(file.find("general.architecture")->strings.front(), "deci");
  EXPECT_EQ(file.find("deci.feed_forward_length")->ints, widths);
  EXPECT_EQ(file.find_tensor("blk.2.ffn_up.weight")->dims,
            (std::vector<std::int64_t>{base.config.hidden_size, 7}));
  EXPECT_EQ(file.find(claw::model::kGgufIntermediateSizesKey), nullptr);  // nothing padded
  EXPECT_EQ(claw::model::gguf_export(pruned, {}).padding_bytes(), 0u);
}

TEST(GgufRoundTrip, PerLayerWidthsArePaddedToTheWidestAndRestored) {
  const ScratchDir dir;
  const Model base = claw::testing::load_stories260k();
  const Model pruned = uneven_widths(base);
  expect_exact_round_trip(pruned, dir, GgufShapes::kPadToWidest);
  const claw::io::GgufFile file(dir / "m.gguf");
  const std::int64_t widest = base.config.intermediate_sizes.front();
  EXPECT_EQ(file.find("llama.feed_forward_length")->ints.front(), widest);
  EXPECT_EQ(file.find_tensor("blk.2.ffn_up.weight")->dims,
            (std::vector<std::int64_t>{base.config.hidden_size, widest}));
  EXPECT_EQ(file.find_tensor("blk.2.ffn_down.weight")->dims,
            (std::vector<std::int64_t>{widest, base.config.hidden_size}));
  // Without the claw key the padded model is read at the padded width: the same function.
  claw::model::GgufExportOptions options;
  options.shapes = GgufShapes::kPadToWidest;
  const claw::model::GgufExport plan = claw::model::gguf_export(pruned, options);
  ASSERT_EQ(plan.plan.paddings.size(), 1u);
  EXPECT_EQ(plan.plan.paddings[0].layers, (std::vector<std::int64_t>{0, 2}));
  EXPECT_GT(plan.padding_bytes(), 0u);
  claw::io::GgufMetadata plain;
  for (const auto& entry : plan.metadata) {
    if (entry.first != claw::model::kGgufIntermediateSizesKey) plain.push_back(entry);
  }
  claw::io::write_gguf(dir / "plain.gguf", plain, plan.tensors);
  const Model padded = claw::model::load_model(dir / "plain.gguf");
  EXPECT_TRUE(padded.config.uniform_mlp());
  EXPECT_EQ(padded.config.intermediate_sizes.front(), widest);
  // The same function; only the summation order of the wider down projection differs.
  EXPECT_LE(claw::testing::largest_logit_difference(pruned, padded), 1e-4);
}

// tiny-qwen2 with what compression leaves: per-layer KV groups (layer 1 keeps its second), o_proj
// and MLP biases, and, when asked, layer 0 without attention and layer 1 without its MLP.
Model irregular_qwen2(bool remove_sublayers) {
  Model model = tiny_preset("tiny-qwen2");
  torch::NoGradGuard no_grad;
  claw::model::ModelConfig& c = model.config;
  claw::model::DecoderLayer& layer = model.layers[1];
  const std::int64_t q_rows = c.group_size() * c.head_dim;
  layer.q.weight = layer.q.weight.narrow(0, q_rows, q_rows).contiguous();
  layer.q.bias = layer.q.bias.narrow(0, q_rows, q_rows).contiguous();
  for (claw::model::Linear* kv : {&layer.k, &layer.v}) {
    kv->weight = kv->weight.narrow(0, c.head_dim, c.head_dim).contiguous();
    kv->bias = kv->bias.narrow(0, c.head_dim, c.head_dim).contiguous();
  }
  layer.o.weight = layer.o.weight.narrow(1, q_rows, q_rows).contiguous();
  c.kv_heads[1] = 1;
  c.o_bias = c.mlp_bias = true;
  for (claw::model::DecoderLayer& l : model.layers) {
    l.o.bias = torch::randn({c.hidden_size});
    l.gate.bias = torch::randn({c.intermediate_sizes[0]});
    l.up.bias = torch::randn({c.intermediate_sizes[0]});
    l.down.bias = torch::randn({c.hidden_size});
  }
  if (remove_sublayers) {
    claw::compress::remove_sublayer(model, 0, claw::compress::DepthUnit::kAttention);
    claw::compress::remove_sublayer(model, 1, claw::compress::DepthUnit::kMlp);
  }
  return model;
}

TEST(GgufRoundTrip, PerLayerHeadsAndBiasesOfQwen2AreDeciAndExact) {
  const ScratchDir dir;
  const Model model = irregular_qwen2(false);
  expect_exact_round_trip(model, dir);
  const claw::io::GgufFile file(dir / "m.gguf");
  EXPECT_EQ(file.find("general.architecture")->strings.front(), "deci");
  EXPECT_EQ(file.find("deci.attention.head_count_kv")->ints, (std::vector<std::int64_t>{2, 1}));
  EXPECT_EQ(file.find("deci.attention.head_count")->ints, (std::vector<std::int64_t>{4, 2}));
  EXPECT_EQ(file.find(claw::model::kGgufHfArchitectureKey)->strings.front(), "Qwen2ForCausalLM");
  // The q bias of layer 1 has its own two heads, nothing padded.
  EXPECT_EQ(file.find_tensor("blk.1.attn_q.bias")->dims, (std::vector<std::int64_t>{16}));
  EXPECT_EQ(claw::model::load_model(dir / "m.gguf").config.architecture,
            claw::model::Architecture::kQwen2);
}

TEST(GgufRoundTrip, RemovedSublayersArePaddedOnlyWhereLlamaCppForcesIt) {
  const ScratchDir dir;
  const Model model = irregular_qwen2(true);
  expect_exact_round_trip(model, dir);
  const claw::model::GgufExport plan = claw::model::gguf_export(model, {});
  // Layer 0 keeps one zero KV group (llama.cpp's head size comes from layer 0), layer 1 one
  // zero FFN channel (deci skips a layer of width 0 whole).
  EXPECT_EQ(plan.plan.layout.kv_heads, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(plan.plan.layout.ffn_widths,
            (std::vector<std::int64_t>{model.config.intermediate_sizes[0], 1}));
  ASSERT_EQ(plan.plan.paddings.size(), 2u);
  EXPECT_TRUE(plan.plan.paddings[0].attention);
  EXPECT_EQ(plan.plan.paddings[1].layers, (std::vector<std::int64_t>{1}));
  for (const claw::model::GgufPadding& padding : plan.plan.paddings) EXPECT_GT(padding.bytes, 0u);
  // Padded to the widest instead, as plain qwen2 cannot hold the biases: refused.
  claw::model::GgufExportOptions pad;
  pad.shapes = GgufShapes::kPadToWidest;
  claw::testing::expect_error_containing([&] { claw::model::plan_gguf_export(model.config, pad); },
                                         "llama.cpp's qwen2 graph has no place for them");
}

TEST(GgufRoundTrip, PerLayerHeadsPaddedToTheWidestAreRestored) {
  const ScratchDir dir;
  Model model = irregular_qwen2(false);
  model.config.o_bias = model.config.mlp_bias = false;
  for (claw::model::DecoderLayer& l : model.layers) {
    l.o.bias = l.gate.bias = l.up.bias = l.down.bias = torch::Tensor();
  }
  expect_exact_round_trip(model, dir, GgufShapes::kPadToWidest);
  const claw::io::GgufFile file(dir / "m.gguf");
  EXPECT_EQ(file.find("general.architecture")->strings.front(), "qwen2");
  EXPECT_EQ(file.find_tensor("blk.1.attn_k.weight")->dims, (std::vector<std::int64_t>{32, 16}));
}

// The largest error each stored type allows for one stored value x: half an ULP for f16 and
// bf16, and for Q8_0 half a step of the block's scale plus its fp16 rounding.
torch::Tensor allowed_error(const torch::Tensor& x, claw::io::GgmlType type) {
  const torch::Tensor a = x.abs();
  switch (type) {
    case claw::io::GgmlType::kF32:
      return torch::zeros_like(x);
    case claw::io::GgmlType::kF16:
      return torch::clamp_min(a * std::ldexp(1.0, -11), std::ldexp(1.0, -25));
    case claw::io::GgmlType::kBF16:
      return a * std::ldexp(1.0, -8);
    case claw::io::GgmlType::kQ8_0:
      break;
  }
  const torch::Tensor d = std::get<0>(a.reshape({-1, 32}).max(1, true)) / 127;
  return (d * (0.5 + 127 * std::ldexp(1.0, -11)) + 1e-12).expand({-1, 32}).reshape(x.sizes());
}

TEST(GgufRoundTrip, ReducedTypesStayWithinTheirBounds) {
  const ScratchDir dir;
  const Model model = tiny_preset("tiny-llama3");
  for (GgufDtype dtype : {GgufDtype::kF16, GgufDtype::kBF16, GgufDtype::kQ8_0}) {
    SCOPED_TRACE(std::string(claw::model::gguf_dtype_name(dtype)));
    const fs::path path = write_gguf_model(model, dir / "r.gguf", dtype);
    const claw::io::GgufFile file(path);
    const Model loaded = claw::model::load_model(path, {torch::kCPU, torch::kFloat32});
    for (const claw::model::TensorSpec& spec : claw::model::tensor_layout(model.config)) {
      const claw::io::GgufTensor* stored = file.find_tensor(claw::model::gguf_tensor_name(spec));
      ASSERT_NE(stored, nullptr);
      if (spec.shape.size() == 1) {
        EXPECT_EQ(stored->type, claw::io::GgmlType::kF32);
      }
      torch::Tensor original = claw::model::tensor_slot(model, spec);
      torch::Tensor back = claw::model::tensor_slot(loaded, spec);
      if (claw::model::is_gguf_qk(spec.role)) {
        // Q8_0 blocks run along the stored (interleaved) rows; the bound is per stored block.
        const std::int64_t heads = spec.role == claw::model::TensorRole::kQWeight
                                       ? model.config.layer_heads(spec.layer)
                                       : model.config.layer_kv_heads(spec.layer);
        original = claw::model::half_rotation_to_interleaved(original, heads);
        back = claw::model::half_rotation_to_interleaved(back, heads);
      }
      const torch::Tensor error = (back - original).abs();
      EXPECT_TRUE((error <= allowed_error(original, stored->type)).all().item<bool>())
          << spec.name << " max error " << error.max().item<double>();
    }
  }
}

TEST(GgufExport, RefusesWhatLlamaCppCannotRun) {
  const claw::model::ModelConfig base = claw::testing::load_stories260k().config;
  claw::model::GgufExportOptions pad;
  pad.shapes = GgufShapes::kPadToWidest;
  claw::model::ModelConfig sliced = base;
  sliced.tie_word_embeddings = false;
  sliced.slicing = claw::model::ResidualSlicing{
      std::vector<std::int64_t>(static_cast<std::size_t>(2 * base.num_layers + 1), 48)};
  for (const claw::model::GgufExportOptions& options : {claw::model::GgufExportOptions{}, pad}) {
    claw::testing::expect_error_containing(
        [&] { claw::model::plan_gguf_export(sliced, options); },
        "llama.cpp's graph has no place for the residual shortcut matrices");
  }
  claw::model::ModelConfig qwen = claw::model::preset_config("tiny-qwen2");
  qwen.kv_heads = {1, 1};  // uniform, but fewer heads than the hidden size
  EXPECT_EQ(claw::model::plan_gguf_export(qwen, {}).layout.architecture,
            claw::model::GgufArchitecture::kDeci);
  claw::testing::expect_error_containing([&] { claw::model::plan_gguf_export(qwen, pad); },
                                         "assumes heads × head_dim = hidden_size");
  claw::model::ModelConfig llama = base;
  llama.o_bias = llama.mlp_bias = true;  // llama's graph takes optional o and MLP biases
  EXPECT_EQ(claw::model::plan_gguf_export(llama, pad).layout.architecture,
            claw::model::GgufArchitecture::kLlama);
}

// The keys and tensors llama.cpp reads, pinned for the tiny presets with their real tokenizers.
void expect_pinned_file(const std::string& preset, const std::string& tokenizer,
                        const std::vector<std::pair<std::string, std::int64_t>>& integers,
                        const std::string& pre, const std::vector<std::string>& tensor_names) {
  const ScratchDir dir;
  const Model model = tiny_preset(preset);
  claw::model::GgufExportOptions options;
  options.dtype = GgufDtype::kQ8_0;
  options.name = preset;
  claw::model::GgufExport plan = claw::model::gguf_export(model, options);
  for (auto& entry :
       claw::text::gguf_tokenizer_metadata(claw::testing::data_path(tokenizer),
                                           model.config.vocab_size, model.config.bos_token_id)) {
    plan.metadata.push_back(std::move(entry));
  }
  claw::io::write_gguf(dir / "p.gguf", plan.metadata, plan.tensors);
  const claw::io::GgufFile file(dir / "p.gguf");
  const std::string arch = claw::model::gguf_architecture_info(
                               claw::model::uniform_gguf_architecture(model.config.architecture))
                               .name;
  EXPECT_EQ(file.find("general.architecture")->strings.front(), arch);
  EXPECT_EQ(file.find("general.name")->strings.front(), preset);
  EXPECT_EQ(file.find("general.file_type")->ints.front(), 7);
  for (const auto& [key, value] : integers) {
    const claw::io::GgufValue* found = file.find(arch + "." + key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(found->ints.front(), value) << key;
  }
  EXPECT_EQ(file.find("tokenizer.ggml.model")->strings.front(), "gpt2");
  EXPECT_EQ(file.find("tokenizer.ggml.pre")->strings.front(), pre);
  EXPECT_EQ(static_cast<std::int64_t>(file.find("tokenizer.ggml.tokens")->size()),
            model.config.vocab_size);
  EXPECT_EQ(file.find("tokenizer.ggml.token_type")->size(),
            file.find("tokenizer.ggml.tokens")->size());
  EXPECT_GT(file.find("tokenizer.ggml.merges")->size(), 100000u);
  std::vector<std::string> names;
  for (const claw::io::GgufTensor& t : file.tensors()) {
    names.push_back(t.name + " " + std::string(claw::io::ggml_type_name(t.type)) + " [" +
                    std::to_string(t.dims[0]) +
                    (t.dims.size() > 1 ? ", " + std::to_string(t.dims[1]) : "") + "]");
  }
  EXPECT_EQ(names, tensor_names);
}

TEST(GgufExport, TinyQwen2FileIsPinned) {
  expect_pinned_file("tiny-qwen2", "tokenizers/qwen/tokenizer.json",
                     {{"context_length", 4096},
                      {"embedding_length", 32},
                      {"feed_forward_length", 88},
                      {"block_count", 2},
                      {"attention.head_count", 4},
                      {"attention.head_count_kv", 2},
                      {"rope.dimension_count", 8},
                      {"vocab_size", 151936}},
                     "qwen2",
                     {"token_embd.weight q8_0 [32, 151936]",    "blk.0.attn_norm.weight f32 [32]",
                      "blk.0.attn_q.weight q8_0 [32, 32]",      "blk.0.attn_q.bias f32 [32]",
                      "blk.0.attn_k.weight q8_0 [32, 16]",      "blk.0.attn_k.bias f32 [16]",
                      "blk.0.attn_v.weight q8_0 [32, 16]",      "blk.0.attn_v.bias f32 [16]",
                      "blk.0.attn_output.weight q8_0 [32, 32]", "blk.0.ffn_norm.weight f32 [32]",
                      "blk.0.ffn_gate.weight q8_0 [32, 88]",    "blk.0.ffn_up.weight q8_0 [32, 88]",
                      "blk.0.ffn_down.weight f16 [88, 32]",     "blk.1.attn_norm.weight f32 [32]",
                      "blk.1.attn_q.weight q8_0 [32, 32]",      "blk.1.attn_q.bias f32 [32]",
                      "blk.1.attn_k.weight q8_0 [32, 16]",      "blk.1.attn_k.bias f32 [16]",
                      "blk.1.attn_v.weight q8_0 [32, 16]",      "blk.1.attn_v.bias f32 [16]",
                      "blk.1.attn_output.weight q8_0 [32, 32]", "blk.1.ffn_norm.weight f32 [32]",
                      "blk.1.ffn_gate.weight q8_0 [32, 88]",    "blk.1.ffn_up.weight q8_0 [32, 88]",
                      "blk.1.ffn_down.weight f16 [88, 32]",     "output_norm.weight f32 [32]"});
}

TEST(GgufExport, TinyLlama3FileIsPinned) {
  std::vector<std::string> names = {"rope_freqs.weight f32 [4]",
                                    "token_embd.weight q8_0 [32, 128256]"};
  for (int l = 0; l < 2; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    for (const char* t :
         {"attn_norm.weight f32 [32]", "attn_q.weight q8_0 [32, 32]", "attn_k.weight q8_0 [32, 16]",
          "attn_v.weight q8_0 [32, 16]", "attn_output.weight q8_0 [32, 32]",
          "ffn_norm.weight f32 [32]", "ffn_gate.weight q8_0 [32, 96]",
          "ffn_up.weight q8_0 [32, 96]", "ffn_down.weight q8_0 [96, 32]"}) {
      names.push_back(p + t);
    }
  }
  names.push_back("output_norm.weight f32 [32]");
  names.push_back("output.weight q8_0 [32, 128256]");
  expect_pinned_file("tiny-llama3", "tokenizers/llama3/tokenizer.json",
                     {{"context_length", 8192},
                      {"embedding_length", 32},
                      {"feed_forward_length", 96},
                      {"block_count", 2},
                      {"attention.head_count", 4},
                      {"attention.head_count_kv", 2},
                      {"rope.dimension_count", 8},
                      {"vocab_size", 128256}},
                     "llama-bpe", names);
}

}  // namespace

// The speed comparison's pieces against exact references: the work counted from the tensors
// against hand-counted shapes and the parameter layout, the memory meter against tensors of
// known size, and a comparison's ideal speedups against the shapes of the models compared.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include "bench/generation_timing.h"
#include "bench/memory_meter.h"
#include "bench/speed_comparison.h"
#include "bench/statistics.h"
#include "bench/work.h"
#include "compress/compression.h"
#include "compress/slicegpt.h"
#include "core/error.h"
#include "model/layout.h"
#include "model/presets.h"

namespace claw::bench {
namespace {

// tiny-qwen2: 2 layers, hidden 32, 4 heads and 2 KV heads of 8, MLP 88, vocabulary 151,936,
// tied head.
model::Model tiny_qwen2(torch::ScalarType dtype = torch::kFloat) {
  return model::random_model(model::preset_config("tiny-qwen2"), 3, dtype);
}

model::Model compressed(const std::string& method, double ratio) {
  model::Model model = tiny_qwen2();
  if (method == "slicegpt") {
    compress::SliceGptOptions options;
    at::Generator generator = at::detail::createCPUGenerator(1);
    const torch::Tensor tokens = at::randint(500, {4, 16}, generator, torch::kInt);
    for (std::int64_t i = 0; i < tokens.size(0); ++i) {
      const torch::Tensor row = tokens[i].contiguous();
      options.calibration.sequences.emplace_back(row.data_ptr<std::int32_t>(),
                                                 row.data_ptr<std::int32_t>() + row.numel());
    }
    compress::SliceGpt slicegpt(options);
    compress::compress_model(model, slicegpt, ratio);
  } else {
    compress::compress_model(model, *compress::make_method(method, {}, {}, model.config), ratio);
  }
  return model;
}

TEST(Work, CountsTheMatricesOfEveryLayer) {
  const model::Model model = tiny_qwen2();
  // Per layer: q 32×32, k and v 16×32 each, o 32×32, gate, up and down 88×32 each.
  const std::int64_t per_layer = 32 * 32 + 2 * 16 * 32 + 32 * 32 + 3 * 88 * 32;
  EXPECT_EQ(layer_matmul_elements(model), 2 * per_layer);

  // 2·matrices + 2·2·layers·q_dim·(seq+1)/2 for the attention + 2·vocab·hidden per head use.
  const double layers = 2.0 * 2 * per_layer, head = 2.0 * 151936 * 32;
  const double attention_16 = 2.0 * 2 * 32 * 17;
  EXPECT_DOUBLE_EQ(prefill_flops_per_token(model, 16, LogitsAt::kEveryPosition),
                   layers + attention_16 + head);
  EXPECT_DOUBLE_EQ(prefill_flops_per_token(model, 16, LogitsAt::kLastPosition),
                   layers + attention_16 + head / 16);
}

// After KV groups are pruned, each layer's attention costs its own query width.
TEST(Work, CountsEachLayersOwnHeads) {
  model::ModelConfig config = model::preset_config("tiny-qwen2");
  config.kv_heads = {1, 2};  // layer 0: 2 query heads of 8 over 1 KV head
  const model::Model model = model::random_model(config, 3, torch::kFloat);
  const std::int64_t layer0 = 16 * 32 + 2 * 8 * 32 + 32 * 16 + 3 * 88 * 32;
  const std::int64_t layer1 = 32 * 32 + 2 * 16 * 32 + 32 * 32 + 3 * 88 * 32;
  EXPECT_EQ(layer_matmul_elements(model), layer0 + layer1);
  const double attention_16 = 2.0 * (16 + 32) * 17, head = 2.0 * 151936 * 32;
  EXPECT_DOUBLE_EQ(prefill_flops_per_token(model, 16, LogitsAt::kEveryPosition),
                   2.0 * (layer0 + layer1) + attention_16 + head);
  // The KV cache holds 8 + 16 keys and as many values per position.
  const model::Model uniform = tiny_qwen2();
  EXPECT_EQ(generation_working_bytes_estimate(uniform.config, 4, 1, 10, 6) -
                generation_working_bytes_estimate(config, 4, 1, 10, 6),
            4 * 2 * 8 * 16);
}

TEST(Work, CountsSliceGptShortcutsAsTheyAreRun) {
  const model::Model sliced = compressed("slicegpt", 0.5);
  ASSERT_TRUE(sliced.config.slicing.has_value());
  std::int64_t expected = 0;
  for (const model::DecoderLayer& layer : sliced.layers) {
    for (const torch::Tensor& t :
         {layer.q.weight, layer.k.weight, layer.v.weight, layer.o.weight, layer.gate.weight,
          layer.up.weight, layer.down.weight, layer.attn_shortcut, layer.mlp_shortcut}) {
      if (t.defined()) expected += t.numel();
    }
  }
  EXPECT_EQ(layer_matmul_elements(sliced), expected);
  EXPECT_GT(model::count_parameters(sliced.config).shortcut, 0);
}

TEST(Work, WeightBytesAgreeWithTheParameterLayout) {
  for (const torch::ScalarType dtype : {torch::kFloat, torch::kBFloat16}) {
    const model::Model model = tiny_qwen2(dtype);
    const std::int64_t element = c10::elementSize(dtype);
    EXPECT_EQ(weight_bytes(model), model::count_parameters(model.config).total() * element);
    // The head is the embedding: a decode step reads all of it.
    EXPECT_EQ(decode_bytes_per_token(model), weight_bytes(model));
  }
  model::ModelConfig untied = model::preset_config("tiny-llama3");
  ASSERT_FALSE(untied.tie_word_embeddings);
  const model::Model llama = model::random_model(untied, 1, torch::kFloat);
  // A decode step reads one row of an untied embedding, which is left out.
  EXPECT_EQ(decode_bytes_per_token(llama),
            weight_bytes(llama) - untied.vocab_size * untied.hidden_size * 4);
}

TEST(TensorMemoryMeter, CountsTensorsAllocatedAfterItsMark) {
  TensorMemoryMeter meter(torch::kCPU);
  const std::int64_t before = meter.in_use();
  meter.mark();
  {
    const torch::Tensor a = torch::empty({1000, 1000}, torch::kFloat);  // 4 MB
    EXPECT_EQ(meter.in_use() - before, 4'000'000);
    { const torch::Tensor b = torch::empty({250'000}, torch::kDouble); }  // 2 MB, freed
    EXPECT_EQ(meter.in_use() - before, 4'000'000);
    EXPECT_EQ(meter.peak_since_mark(), 6'000'000);
  }
  EXPECT_EQ(meter.in_use(), before);
  meter.mark();
  EXPECT_EQ(meter.peak_since_mark(), 0);
}

TEST(TimeGeneration, ItsWorkingMemoryHoldsTheKvCacheAndStaysUnderTheEstimate) {
  // bf16 too: LibTorch's bf16 kernels allocate through raw_allocate(), which the meter's
  // allocator must serve.
  for (const torch::ScalarType dtype : {torch::kFloat, torch::kBFloat16}) {
    const model::Model model = tiny_qwen2(dtype);
    TensorMemoryMeter meter(torch::kCPU);
    const std::int64_t batch = 3, prompt = 20, decode = 5;
    const torch::Tensor tokens = torch::randint(500, {batch, prompt}, torch::kLong);
    const GenerationTiming t = time_generation(model, tokens, decode, meter);
    EXPECT_GT(t.first_token_seconds, 0);
    EXPECT_GT(t.decode_seconds, 0);
    const std::int64_t element = static_cast<std::int64_t>(c10::elementSize(dtype));
    const std::int64_t kv_cache = 2 * 2 * 16 * batch * (prompt + decode) * element;
    EXPECT_GE(t.working_bytes, kv_cache) << dtype;
    EXPECT_LE(t.working_bytes,
              generation_working_bytes_estimate(model.config, element, batch, prompt, decode))
        << dtype;
  }
  // A model with a layer of half the KV heads caches a quarter less.
  model::ModelConfig config = model::preset_config("tiny-qwen2");
  config.kv_heads = {1, 2};
  const model::Model pruned = model::random_model(config, 3, torch::kFloat);
  TensorMemoryMeter meter(torch::kCPU);
  const torch::Tensor tokens = torch::randint(500, {2, 12}, torch::kLong);
  const GenerationTiming t = time_generation(pruned, tokens, 4, meter);
  EXPECT_GE(t.working_bytes, 2 * (8 + 16) * 2 * (12 + 4) * 4);
  EXPECT_LE(t.working_bytes, generation_working_bytes_estimate(config, 4, 2, 12, 4));
}

// Both models in memory together, and loaded for each repetition's turn (as when they do not fit
// together): the same settings, figures and ideal speedups.
TEST(CompareSpeed, IdealSpeedupsComeFromTheShapesOfBothModels) {
  const model::Model base = tiny_qwen2(), pruned = compressed("random", 0.5);
  SpeedOptions options;
  options.batches = {2};
  options.prompts = {8, 16};
  options.decode = 3;
  options.reps = 3;  // odd, so each median is one run's figure
  options.warmup = 0;
  int loads = 0;
  const auto loader = [&](const model::Model& model) {
    return [&loads, copied = &model] {
      ++loads;
      return model::deep_copy(*copied);
    };
  };
  const Json together = compare_speed({{"base", "b", &base}, {"model", "m", &pruned}}, options);
  const Json in_turns = compare_speed(
      {{"base", "b", nullptr, loader(base)}, {"model", "m", nullptr, loader(pruned)}}, options);
  EXPECT_EQ(together["models_in_memory"], "together");
  EXPECT_EQ(in_turns["models_in_memory"], "one at a time");
  EXPECT_EQ(loads, 2 * options.reps);  // each model once per repetition
  for (const Json& record : {together, in_turns}) {
    EXPECT_EQ(record["models"]["base"]["weight_bytes"], weight_bytes(base));
    EXPECT_EQ(record["models"]["model"]["weight_bytes"], weight_bytes(pruned));
    ASSERT_EQ(record["settings"].size(), 2u);
    for (const Json& setting : record["settings"]) {
      const std::int64_t prompt = setting["prefill"].get<std::int64_t>();
      EXPECT_EQ(setting["batch"], 2);
      EXPECT_DOUBLE_EQ(setting["speedup"]["prefill"]["ideal"].get<double>(),
                       prefill_flops_per_token(base, prompt, LogitsAt::kLastPosition) /
                           prefill_flops_per_token(pruned, prompt, LogitsAt::kLastPosition));
      EXPECT_DOUBLE_EQ(setting["speedup"]["decode"]["ideal"].get<double>(),
                       double(decode_bytes_per_token(base)) / decode_bytes_per_token(pruned));
      EXPECT_GT(setting["speedup"]["prefill"]["ideal"].get<double>(), 1);
      for (const char* role : {"base", "model"}) {
        const Json& figures = setting[role];
        EXPECT_GT(figures["prefill_tokens_per_s"]["min"].get<double>(), 0) << role;
        EXPECT_GT(figures["decode_tokens_per_s"]["min"].get<double>(), 0) << role;
        // Tokens per second and milliseconds to the first token come from the same runs.
        EXPECT_NEAR(figures["prefill_tokens_per_s"]["median"].get<double>() *
                        figures["first_token_ms"]["median"].get<double>(),
                    2 * prompt * 1e3, 1e-6 * 2 * prompt * 1e3)
            << role;
      }
    }
  }
}

TEST(CompareSpeed, RefusesSettingsTheModelCannotRun) {
  const model::Model model = tiny_qwen2();
  auto refuses = [&](const SpeedOptions& options, const std::string& message) {
    try {
      compare_speed({{"model", "m", &model}}, options);
      ADD_FAILURE() << "accepted: " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  SpeedOptions o;
  o.prompts = {4000};  // + 128 decoded > the context of 4096
  refuses(o, "exceed the model's context of 4096");
  o = {};
  o.batches = {0};
  refuses(o, "batch must be positive");
  o = {};
  o.decode = 0;
  refuses(o, "decode must be positive");
  o = {};
  o.reps = 0;
  refuses(o, "reps must be positive");
}

TEST(Spread, IsTheMedianAndRange) {
  const Spread odd = spread({3, 1, 2});
  EXPECT_EQ(odd.median, 2);
  EXPECT_EQ(odd.min, 1);
  EXPECT_EQ(odd.max, 3);
  EXPECT_EQ(spread({4, 1, 2, 3}).median, 2.5);
  EXPECT_THROW(spread({}), Error);
}

}  // namespace
}  // namespace claw::bench

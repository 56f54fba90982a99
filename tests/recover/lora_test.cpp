// LoRA against references: finite differences confirm its gradients, merging it gives the
// logits of base + adapter, training is reproducible, and D counts exactly the tokens trained on.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <limits>

#include "core/error.h"
#include "data/alpaca.h"
#include "data/corpus.h"
#include "model/decoder.h"
#include "model/presets.h"
#include "recover/lora.h"
#include "recover/trainer.h"
#include "recover/training_data.h"
#include "support/test_support.h"

namespace claw::recover {
namespace {

// GQA (4 heads over 2), q/k/v biases, an untied head: everything LoRA has to get right.
model::ModelConfig tiny_config() {
  model::ModelConfig c = model::preset_config("tiny-qwen2");
  c.vocab_size = 64;
  c.tie_word_embeddings = false;
  return c;
}

std::vector<TrainingSequence> random_sequences(std::int64_t count, std::int64_t length,
                                               std::uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  std::vector<TrainingSequence> sequences;
  for (std::int64_t i = 0; i < count; ++i) {
    const torch::Tensor t = at::randint(64, {length - i % 3}, generator, torch::kInt).contiguous();
    TrainingSequence s;
    s.tokens.assign(t.data_ptr<std::int32_t>(), t.data_ptr<std::int32_t>() + t.numel());
    s.scored.assign(s.tokens.size() - 1, 1);
    s.scored[0] = 0;  // a prompt target that carries no loss
    sequences.push_back(std::move(s));
  }
  return sequences;
}

// Adapters with B randomised too, so that A's gradient is not zero.
std::vector<torch::Tensor> attach_random_lora(model::Model& model, const LoraOptions& options) {
  at::Generator generator = at::detail::createCPUGenerator(7);
  std::vector<torch::Tensor> trainable = attach_lora(model, options, generator);
  torch::NoGradGuard no_grad;
  for (std::size_t i = 1; i < trainable.size(); i += 2) {
    trainable[i].copy_(at::normal(0, 0.05, trainable[i].sizes(), generator, torch::kDouble)
                           .to(trainable[i].scalar_type()));
  }
  return trainable;
}

TEST(Lora, GradientsMatchFiniteDifferences) {
  model::Model model = model::random_model(tiny_config(), 3, torch::kDouble);
  LoraOptions options;
  options.rank = 2;
  options.dropout = 0;
  const std::vector<torch::Tensor> trainable = attach_random_lora(model, options);
  const std::vector<TrainingSequence> data = random_sequences(3, 7, 1);
  const auto loss = [&] { return scored_nll(model, data, 0, data.size()).first; };
  loss().backward();

  at::Generator generator = at::detail::createCPUGenerator(2);
  constexpr double h = 1e-6;
  int checked = 0;
  for (const torch::Tensor& p : trainable) {
    torch::NoGradGuard no_grad;
    // A few entries of each adapter matrix.
    for (int k = 0; k < 3; ++k) {
      const std::int64_t index =
          at::randint(p.numel(), {1}, generator, torch::kLong).item<std::int64_t>();
      torch::Tensor flat = p.view({-1});
      const double original = flat[index].item<double>();
      flat[index] = original + h;
      const double up = loss().item<double>();
      flat[index] = original - h;
      const double down = loss().item<double>();
      flat[index] = original;
      const double numeric = (up - down) / (2 * h);
      const double analytic = p.grad().view({-1})[index].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-3 * std::max(std::abs(numeric), 1e-3)) << k;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2 * 2 * 7 * 3);  // 2 layers × 7 projections × (A, B) × 3 entries
}

TEST(Lora, MergedModelGivesTheLogitsOfBasePlusAdapter) {
  model::Model model = model::random_model(tiny_config(), 3, torch::kFloat);
  LoraOptions options;
  options.targets = {"q", "v", "down"};
  attach_random_lora(model, options);
  const torch::Tensor tokens = torch::randint(64, {2, 9}, torch::kLong);
  torch::NoGradGuard no_grad;
  const torch::Tensor with_adapters = model::forward(model, tokens);
  model::Model merged = model;
  merge_lora(merged);
  EXPECT_FALSE(merged.layers[0].q.lora);
  EXPECT_TRUE(model.layers[0].q.lora) << "merging a copy leaves the original's adapters";
  EXPECT_LT((model::forward(merged, tokens) - with_adapters).abs().max().item<double>(), 1e-5);
  // And the adapters did change the model.
  model::Model base = model::random_model(tiny_config(), 3, torch::kFloat);
  EXPECT_GT((model::forward(base, tokens) - with_adapters).abs().max().item<double>(), 1e-4);
}

TEST(Lora, FreshAdaptersLeaveTheModelUnchanged) {
  model::Model model = model::random_model(tiny_config(), 3, torch::kFloat);
  const torch::Tensor tokens = torch::randint(64, {1, 5}, torch::kLong);
  torch::NoGradGuard no_grad;
  const torch::Tensor before = model::forward(model, tokens);
  at::Generator generator = at::detail::createCPUGenerator(1);
  const auto trainable = attach_lora(model, {}, generator);
  EXPECT_TRUE(model::forward(model, tokens).equal(before));  // B starts at zero
  // A is uniform in ±1/√in.
  EXPECT_LE(trainable[0].abs().max().item<double>(), 1 / std::sqrt(32.0));
}

// Four random sequences seen five times over: LoRA (with dropout) must learn them, and the same
// seed must give the same final loss.
TEST(Trainer, LearnsAndSameSeedGivesTheSameFinalLoss) {
  const std::vector<TrainingSequence> data = random_sequences(4, 12, 4);
  std::vector<TrainingSequence> repeated;
  for (int epoch = 0; epoch < 5; ++epoch) repeated.insert(repeated.end(), data.begin(), data.end());
  const auto final_loss = [&] {
    model::Model model = model::random_model(tiny_config(), 3, torch::kFloat);
    const double before = mean_loss(model, data, 4);
    torch::manual_seed(5);
    at::Generator generator = at::detail::createCPUGenerator(5);
    const auto trainable = attach_lora(model, {}, generator);
    TrainerOptions options;
    options.batch = 2;
    options.grad_accum = 2;
    options.learning_rate = 1e-2;
    options.warmup = 1;
    const TrainingReport report = train(model, trainable, repeated, data, options);
    EXPECT_EQ(report.steps, 5);
    std::int64_t tokens = 0;
    for (const auto& s : repeated) tokens += s.scored_count();
    EXPECT_EQ(report.tokens, tokens);
    EXPECT_LT(report.eval.back().loss, before - 0.1);
    return report.eval.back().loss;
  };
  EXPECT_EQ(final_loss(), final_loss());
}

TEST(Trainer, StopsAtANonFiniteLossKeepingTheLastGoodParameters) {
  model::Model model = model::random_model(tiny_config(), 3, torch::kFloat);
  at::Generator generator = at::detail::createCPUGenerator(5);
  const auto trainable = attach_lora(model, {}, generator);
  // Token 9's embedding overflows: any sequence holding it has an infinite loss.
  model.embed[9].fill_(std::numeric_limits<float>::infinity());
  std::vector<TrainingSequence> data = random_sequences(6, 8, 4);
  for (auto& s : data) std::replace(s.tokens.begin(), s.tokens.end(), 9, 10);
  data[4].tokens[2] = 9;
  TrainerOptions options;
  options.batch = 2;
  const TrainingReport report = train(model, trainable, data, {}, options);
  EXPECT_EQ(report.steps, 2);
  EXPECT_NE(report.stopped.find("non-finite at step 3"), std::string::npos) << report.stopped;
  for (const torch::Tensor& p : trainable) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
}

TEST(TrainingData, AlpacaCarriesLossOnTheResponseOnly) {
  const text::Tokenizer& tokenizer = testing::shared_tokenizer("models/stories260K/tok512.bin");
  const auto responses = training_sequences("alpaca", tokenizer, 4096, false);
  const auto everything = training_sequences("alpaca", tokenizer, 4096, true);
  ASSERT_EQ(responses.size(), 1800u);  // the train split
  const TrainingSequence& first = responses.front();
  EXPECT_EQ(everything.front().scored_count(), static_cast<std::int64_t>(first.tokens.size()) - 1);
  // The scored targets are exactly the response's: a run of zeros over the prompt, then ones.
  const auto first_scored = std::find(first.scored.begin(), first.scored.end(), 1);
  EXPECT_TRUE(std::all_of(first_scored, first.scored.end(), [](auto f) { return f == 1; }));
  const std::size_t prompt_tokens =
      tokenizer
          .encode(data::alpaca_prompt(data::read_alpaca(data::load_corpus("alpaca").source)[0]),
                  {true})
          .size();
  EXPECT_EQ(static_cast<std::size_t>(first_scored - first.scored.begin()), prompt_tokens - 1);
}

TEST(TrainingData, TakesExactlyDTokens) {
  const std::vector<TrainingSequence> data = random_sequences(5, 10, 2);  // 8, 7, 6, 8, 7 scored
  std::int64_t total = 0;
  for (const auto& s : data) total += s.scored_count();
  EXPECT_EQ(total, 36);
  for (const std::int64_t d : {1, 13, 36}) {
    std::int64_t taken = 0;
    for (const auto& s : take_scored_tokens(data, d, 1, 3, "data")) {
      EXPECT_EQ(s.tokens.size(), s.scored.size() + 1);
      taken += s.scored_count();
    }
    EXPECT_EQ(taken, d);
  }
  EXPECT_THROW(take_scored_tokens(data, 37, 1, 3, "data"), Error);
  std::int64_t cycled = 0;
  for (const auto& s : take_scored_tokens(data, 80, 3, 3, "data")) cycled += s.scored_count();
  EXPECT_EQ(cycled, 80);
}

TEST(Lora, RefusesBadOptions) {
  LoraOptions options;
  options.targets = {"q", "lm_head"};
  EXPECT_THROW(check_lora_options(options), Error);
  options = {};
  options.rank = 0;
  EXPECT_THROW(check_lora_options(options), Error);
}

}  // namespace
}  // namespace claw::recover

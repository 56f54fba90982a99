// The trainer: it learns, the same seed gives the same loss, and a non-finite loss stops it with
// the last good parameters kept.
#include "recover/trainer.h"

#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <limits>

#include "recover/lora.h"
#include "recover/recovery_fixtures.h"

namespace claw::recover {
namespace {

using fixtures::random_sequences;
using fixtures::tiny_config;

// Four random sequences seen five times over: LoRA (with dropout) must learn them, and the same
// seed must give the same trained adapters, whether each layer's activations are kept for the
// backward pass or the layer is run again there.
TEST(Trainer, LearnsAndSameSeedGivesTheSameAdaptersWithOrWithoutRecomputation) {
  const std::vector<TrainingSequence> data = random_sequences(4, 12, 4);
  std::vector<TrainingSequence> repeated;
  for (int epoch = 0; epoch < 5; ++epoch) repeated.insert(repeated.end(), data.begin(), data.end());
  const auto trained = [&](bool keep_activations) {
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
    options.keep_activations = keep_activations;
    const TrainingReport report = train(model, trainable, repeated, data, options);
    EXPECT_EQ(report.steps, 5);
    std::int64_t tokens = 0;
    for (const auto& s : repeated) tokens += s.scored_count();
    EXPECT_EQ(report.tokens, tokens);
    EXPECT_LT(report.eval.back().loss, before - 0.1);
    return trainable;
  };
  const std::vector<torch::Tensor> recomputed = trained(false), again = trained(false),
                                   kept = trained(true);
  ASSERT_EQ(recomputed.size(), kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    EXPECT_TRUE(torch::equal(recomputed[i], again[i])) << i;
    EXPECT_TRUE(torch::equal(recomputed[i], kept[i])) << i;
  }
}

// Training every weight, the embeddings included, recomputation gives the same weights too.
TEST(Trainer, FullFineTuningIsTheSameWithOrWithoutRecomputation) {
  const std::vector<TrainingSequence> data = random_sequences(4, 12, 6);
  const auto trained = [&](bool keep_activations) {
    model::Model model = model::random_model(tiny_config(), 3, torch::kFloat);
    std::vector<torch::Tensor> trainable;
    for (const model::TensorSpec& spec : model::tensor_layout(model.config)) {
      trainable.push_back(model::tensor_slot(model, spec).requires_grad_());
    }
    TrainerOptions options;
    options.batch = 2;
    options.learning_rate = 1e-3;
    options.keep_activations = keep_activations;
    train(model, trainable, data, {}, options);
    return model;
  };
  const model::Model recomputed = trained(false), kept = trained(true);
  for (const model::TensorSpec& spec : model::tensor_layout(kept.config)) {
    EXPECT_TRUE(torch::equal(model::tensor_slot(recomputed, spec), model::tensor_slot(kept, spec)))
        << spec.name;
  }
}

// LoRA adapters trained from the same start, with `teacher` at `kd_weight` (or without one).
std::vector<torch::Tensor> distilled_adapters(const std::vector<TrainingSequence>& data,
                                              const model::Model* teacher, double kd_weight,
                                              TrainingReport* report = nullptr) {
  model::Model model = model::random_model(tiny_config(), 3, torch::kFloat);
  torch::manual_seed(5);
  at::Generator generator = at::detail::createCPUGenerator(5);
  const auto trainable = attach_lora(model, {}, generator);
  TrainerOptions options;
  options.batch = 2;
  options.learning_rate = 1e-2;
  options.kd_weight = kd_weight;
  options.kd = {2, std::nullopt};
  const TrainingReport trained = train(model, trainable, data, {}, options, teacher);
  if (report) *report = trained;
  return trainable;
}

// Distillation at weight 0 is next-token training, bit for bit: the teacher is not even run.
// At weight 1 it trains on the teacher's distribution, and the curve shows both terms.
TEST(Trainer, DistillationAtWeightZeroIsNextTokenTrainingAndAtOneFollowsTheTeacher) {
  const std::vector<TrainingSequence> data = random_sequences(4, 12, 7);
  const model::Model teacher = model::random_model(tiny_config(), 11, torch::kFloat);
  const std::vector<torch::Tensor> plain = distilled_adapters(data, nullptr, 1),
                                   weightless = distilled_adapters(data, &teacher, 0);
  for (std::size_t i = 0; i < plain.size(); ++i) EXPECT_TRUE(torch::equal(plain[i], weightless[i]));

  // The same four sequences five times over, two to a step: steps 2 and 10 see the same two.
  std::vector<TrainingSequence> repeated;
  for (int epoch = 0; epoch < 5; ++epoch) repeated.insert(repeated.end(), data.begin(), data.end());
  TrainingReport report;
  const std::vector<torch::Tensor> distilled = distilled_adapters(repeated, &teacher, 1, &report);
  EXPECT_FALSE(torch::equal(plain.front(), distilled.front()));
  ASSERT_EQ(report.train.size(), 10u);
  for (const LossPoint& point : report.train) {
    ASSERT_TRUE(point.next_token && point.distillation);
    EXPECT_DOUBLE_EQ(point.loss, *point.distillation);  // weight 1: the soft term alone
    EXPECT_GT(*point.next_token, 0);
  }
  EXPECT_LT(report.train[9].loss, 0.9 * report.train[1].loss);
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

}  // namespace
}  // namespace claw::recover

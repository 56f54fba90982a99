// The intrinsic scorer against a plain computation from full logits, its window plans, its
// invariance to batching, padding and threads, and its errors.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "data/corpus.h"
#include "eval/intrinsic.h"
#include "model/decoder.h"
#include "model/layered_model.h"
#include "model/load.h"
#include "model/presets.h"
#include "model/save.h"
#include "model/stored_model.h"
#include "support/test_support.h"
#include "text/load_tokenizer.h"

namespace {

using claw::eval::TokenSpan;

claw::model::Model tiny_model() {
  claw::model::ModelConfig config = claw::model::preset_config("tiny-qwen2");
  return claw::model::random_model(config, /*seed=*/7, torch::kFloat32);
}

std::vector<TokenSpan> random_spans(const claw::model::Model& model, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int32_t> token(
      0, static_cast<std::int32_t>(model.config.vocab_size) - 1);
  std::vector<TokenSpan> spans;
  for (std::int64_t length : {17, 5, 33, 2, 12, 33, 9}) {
    TokenSpan span;
    for (std::int64_t i = 0; i < length; ++i) span.tokens.push_back(token(rng));
    span.first_target =
        1 + static_cast<std::int64_t>(rng() % static_cast<std::uint32_t>(length - 1));
    spans.push_back(span);
  }
  return spans;
}

// Each span alone through forward(), log-softmax in double, summed in a loop.
double plain_nll(const claw::model::Model& model, const std::vector<TokenSpan>& spans) {
  const torch::NoGradGuard no_grad;
  double nll = 0;
  for (const TokenSpan& span : spans) {
    std::vector<std::int64_t> ids(span.tokens.begin(), span.tokens.end());
    const torch::Tensor tokens = torch::tensor(ids, torch::kInt64).unsqueeze(0);
    const torch::Tensor log_probs =
        at::log_softmax(claw::model::forward(model, tokens)[0].to(torch::kFloat64), -1);
    for (std::size_t p = span.first_target - 1; p + 1 < span.tokens.size(); ++p) {
      nll -= log_probs[p][span.tokens[p + 1]].item<double>();
    }
  }
  return nll;
}

TEST(ScoreSpans, MatchesAPlainComputationFromFullLogits) {
  const claw::model::Model model = tiny_model();
  const std::vector<TokenSpan> spans = random_spans(model, 1);
  std::int64_t targets = 0;
  for (const TokenSpan& span : spans) targets += span.targets();
  const claw::eval::LossTotal total = claw::eval::score_spans(model, spans);
  EXPECT_EQ(total.targets, targets);
  EXPECT_NEAR(total.nll, plain_nll(model, spans), 1e-6 * total.nll);
}

// Each span's own loss, from the plain computation, and the standard error of the ratio mean
// written out: √(n/(n−1) Σ (nll_i − mean·targets_i)²) / Σ targets_i.
TEST(ScoreSpans, PerSpanLossesAndTheirStandardErrorFollowThePlainComputation) {
  const claw::model::Model model = tiny_model();
  const std::vector<TokenSpan> spans = random_spans(model, 3);
  const claw::eval::LossTotal total = claw::eval::score_spans(model, spans, {3, {}});
  ASSERT_EQ(total.spans.size(), spans.size());
  std::vector<double> nll;
  std::vector<double> targets;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    nll.push_back(plain_nll(model, {spans[i]}));
    targets.push_back(static_cast<double>(spans[i].targets()));
    EXPECT_NEAR(total.spans[i].nll, nll.back(), 1e-6 * nll.back() + 1e-9) << "span " << i;
    EXPECT_EQ(total.spans[i].targets, spans[i].targets());
  }
  double sum_nll = 0, sum_targets = 0;
  for (std::size_t i = 0; i < nll.size(); ++i) sum_nll += nll[i], sum_targets += targets[i];
  const double mean = sum_nll / sum_targets;
  double squared = 0;
  for (std::size_t i = 0; i < nll.size(); ++i) {
    squared += (nll[i] - mean * targets[i]) * (nll[i] - mean * targets[i]);
  }
  const double n = static_cast<double>(nll.size());
  const double expected = std::sqrt(n / (n - 1) * squared) / sum_targets;
  // A difference of float32-rounded sums: looser than the sums themselves.
  EXPECT_NEAR(total.standard_error(), expected, 1e-4 * expected);
  EXPECT_TRUE(std::isnan(claw::eval::score_spans(model, {spans[0]}).standard_error()));
}

TEST(ScoreSpans, BatchPaddingAndThreadsDoNotChangeTheLoss) {
  const claw::model::Model model = tiny_model();
  const std::vector<TokenSpan> spans = random_spans(model, 2);
  const double reference = claw::eval::score_spans(model, spans, {1, {}}).mean();
  const int threads = at::get_num_threads();
  for (int thread_count : {1, 2}) {
    at::set_num_threads(thread_count);
    for (std::int64_t batch : {1, 2, 3, 7, 16}) {
      const double loss = claw::eval::score_spans(model, spans, {batch, {}}).mean();
      EXPECT_NEAR(loss, reference, 1e-6 * reference)
          << "batch " << batch << ", threads " << thread_count;
    }
  }
  at::set_num_threads(threads);
}

TEST(ScoreSpans, OneLayerAtATimeFromTheFileGivesTheInMemoryLosses) {
  const claw::testing::ScratchDir scratch;
  claw::model::ModelConfig config = claw::model::preset_config("tiny-qwen2");
  config.num_layers = 3;
  config.intermediate_sizes.assign(3, config.intermediate_sizes.front());
  config.kv_heads.assign(3, config.num_kv_heads);
  claw::model::save_model(claw::model::random_model(config, 9, torch::kBFloat16), scratch / "m",
                          {});
  const claw::model::StoredModel stored(scratch / "m");
  claw::model::StreamedModel streamed(stored, {});
  const claw::model::Model whole = claw::model::load_model(scratch / "m");
  const std::vector<TokenSpan> spans = random_spans(whole, 4);
  for (std::int64_t batch : {1, 3}) {  // padded batches, and one span per batch
    const claw::eval::LossTotal reference = claw::eval::score_spans(whole, spans, {batch, {}});
    // Every batch in one pass over the layers, and a pass per batch.
    for (std::int64_t state_bytes : {std::int64_t{1} << 30, std::int64_t{1}}) {
      const claw::eval::LossTotal total = claw::eval::score_spans(
          claw::eval::ScoredModel(streamed, state_bytes), spans, {batch, {}});
      EXPECT_NEAR(total.nll, reference.nll, 1e-6 * std::abs(reference.nll)) << "batch " << batch;
      EXPECT_EQ(total.targets, reference.targets);
      for (std::size_t i = 0; i < spans.size(); ++i) {
        EXPECT_NEAR(total.spans[i].nll, reference.spans[i].nll, 1e-6 * reference.spans[i].nll);
      }
    }
  }
}

TEST(WindowSpans, NonOverlappingWindowsDropTheTail) {
  std::vector<std::int32_t> tokens(10);
  for (int i = 0; i < 10; ++i) tokens[i] = i;
  const std::vector<TokenSpan> spans = claw::eval::window_spans(tokens, 4, 4);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].tokens, (std::vector<std::int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(spans[1].tokens, (std::vector<std::int32_t>{4, 5, 6, 7}));
  EXPECT_EQ(spans[1].first_target, 1);
}

TEST(WindowSpans, StridedWindowsScoreEveryTokenButTheFirstOnce) {
  std::vector<std::int32_t> tokens(11);
  for (int i = 0; i < 11; ++i) tokens[i] = i;
  const std::vector<TokenSpan> spans = claw::eval::window_spans(tokens, 4, 2);
  std::vector<int> scored(11, 0);
  for (const TokenSpan& span : spans) {
    EXPECT_LE(span.tokens.size(), 4u);
    for (std::size_t i = span.first_target; i < span.tokens.size(); ++i) ++scored[span.tokens[i]];
  }
  EXPECT_EQ(scored[0], 0);
  for (int i = 1; i < 11; ++i) EXPECT_EQ(scored[i], 1) << "token " << i;
  // After the first window every scored token sees at least ctx - stride = 2 tokens before it.
  for (std::size_t w = 1; w < spans.size(); ++w) EXPECT_GE(spans[w].first_target, 2);
}

class Intrinsic : public ::testing::Test {
 protected:
  Intrinsic()
      : model_(claw::model::load_model(
            claw::testing::data_path("models/stories260K/stories260K.bin"))),
        tokenizer_(
            claw::text::load_tokenizer(claw::testing::data_path("models/stories260K/tok512.bin"))) {
  }

  claw::data::Corpus text_corpus(const std::string& text) {
    claw::testing::write_bytes(dir_ / "corpus.txt", text);
    return claw::data::load_corpus("text:" + (dir_ / "corpus.txt").string());
  }

  // evaluate_intrinsic fails with a message containing `expected`.
  void expect_error(const claw::data::Corpus& corpus, claw::eval::IntrinsicOptions options,
                    const std::string& expected) {
    options.progress = false;
    // From the config alone: what cannot be measured is refused before any weight is read.
    const claw::model::ModelConfig config = claw::model::read_model_config(
        claw::testing::data_path("models/stories260K/stories260K.bin"));
    try {
      claw::eval::plan_intrinsic(config, *tokenizer_, corpus, options);
      ADD_FAILURE() << "no error; expected: " << expected;
    } catch (const claw::Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }

  claw::testing::ScratchDir dir_;
  claw::model::Model model_;
  std::unique_ptr<claw::text::Tokenizer> tokenizer_;
};

TEST_F(Intrinsic, WindowsModeScoresAllButEachWindowsFirstToken) {
  const claw::data::Corpus corpus = text_corpus(std::string(300, 'a') + " Once upon a time.");
  claw::eval::IntrinsicOptions options;
  options.ctx = 16;
  options.progress = false;
  const auto result = claw::eval::evaluate_intrinsic(model_, *tokenizer_, corpus, options);
  const auto tokens = tokenizer_->encode(corpus.text, {});
  EXPECT_EQ(result.mode, claw::eval::Mode::kWindows);
  EXPECT_EQ(result.sequences, static_cast<std::int64_t>(tokens.size()) / 16);
  EXPECT_EQ(result.tokens_scored, result.sequences * 15);
  EXPECT_NEAR(result.perplexity, std::exp(result.loss), 1e-9 * result.perplexity);
  EXPECT_NE(result.protocol.find("non-overlapping windows of 16"), std::string::npos)
      << result.protocol;
}

TEST_F(Intrinsic, LimitTokensTakesTheFirstTokens) {
  const claw::data::Corpus corpus = claw::data::load_corpus("tinystories:test");
  claw::eval::IntrinsicOptions options;
  options.limit_tokens = 1000;
  options.progress = false;
  const auto result = claw::eval::evaluate_intrinsic(model_, *tokenizer_, corpus, options);
  EXPECT_EQ(result.mode, claw::eval::Mode::kDocuments);
  EXPECT_EQ(result.tokens_scored, 1000 - result.sequences);  // BOS is never a target
}

TEST_F(Intrinsic, RefusesWhatCannotBeMeasured) {
  claw::eval::IntrinsicOptions long_window;
  long_window.ctx = 513;
  expect_error(claw::data::load_corpus("tinystories:test"), long_window,
               "ctx 513 is longer than the model's context of 512 tokens");
  claw::eval::IntrinsicOptions defaults;
  expect_error(text_corpus("Once upon a time."), defaults,
               "fewer than one window of 512; pass a smaller --ctx");
  claw::eval::IntrinsicOptions strided;
  strided.mode = claw::eval::Mode::kDocuments;
  strided.stride = 8;
  expect_error(text_corpus("Once upon a time."), strided, "stride applies to windows mode only");
}

}  // namespace

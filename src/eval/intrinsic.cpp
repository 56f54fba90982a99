#include "eval/intrinsic.h"

#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/format.h"
#include "core/option_table.h"
#include "eval/token_scores.h"
#include "model/decoder.h"

namespace claw::eval {
namespace {

// Windows never exceed this by default, as SliceGPT evaluates.
constexpr std::int64_t kDefaultWindow = 2048;

}  // namespace

double LossTotal::standard_error() const {
  std::int64_t n = 0;
  double squared = 0;
  const double m = mean();
  for (const SpanLoss& s : spans) {
    if (s.targets == 0) continue;
    ++n;
    const double deviation = s.nll - m * static_cast<double>(s.targets);
    squared += deviation * deviation;
  }
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  const double scale = static_cast<double>(n) / static_cast<double>(n - 1);
  return std::sqrt(scale * squared) / static_cast<double>(targets);
}

const char* mode_name(Mode mode) {
  return mode == Mode::kWindows ? "windows" : "documents";
}

namespace {

// One forward pass's worth of spans, padded on the right to the longest, and where its targets
// are: row b·steps + p of the hidden states predicts targets[t], which belongs to span owners[t].
struct SpanBatch {
  // tokens [count, steps] int64; valid [count, steps] bool, undefined when no span is padded
  model::TokenBatch input;
  std::vector<std::int64_t> rows, targets;
  std::vector<std::size_t> owners;
};

// The spans with targets, longest first (least padding), `batch` to a pass.
std::vector<SpanBatch> span_batches(const std::vector<TokenSpan>& spans, std::int64_t batch_size,
                                    torch::Device device) {
  CLAW_CHECK(batch_size >= 1, "the batch size must be at least 1, got ", batch_size);
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    CLAW_CHECK(spans[i].first_target >= 1, "span ", i,
               ": the first token has nothing to be "
               "predicted from");
    if (spans[i].targets() > 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return spans[a].tokens.size() > spans[b].tokens.size();
  });
  const auto batch = static_cast<std::size_t>(batch_size);
  std::vector<SpanBatch> batches;
  for (std::size_t start = 0; start < order.size(); start += batch) {
    const std::size_t count = std::min(batch, order.size() - start);
    const auto steps = static_cast<std::int64_t>(spans[order[start]].tokens.size());
    SpanBatch b;
    torch::Tensor tokens = torch::zeros({static_cast<std::int64_t>(count), steps}, torch::kInt64);
    torch::Tensor valid = torch::zeros({static_cast<std::int64_t>(count), steps}, torch::kBool);
    auto token_data = tokens.accessor<std::int64_t, 2>();
    auto valid_data = valid.accessor<bool, 2>();
    for (std::size_t i = 0; i < count; ++i) {
      const TokenSpan& span = spans[order[start + i]];
      const auto length = static_cast<std::int64_t>(span.tokens.size());
      for (std::int64_t t = 0; t < length; ++t) {
        token_data[i][t] = span.tokens[t];
        valid_data[i][t] = true;
      }
      // The hidden state at position p predicts the token at p + 1.
      for (std::int64_t p = span.first_target - 1; p + 1 < length; ++p) {
        b.rows.push_back(static_cast<std::int64_t>(i) * steps + p);
        b.targets.push_back(span.tokens[p + 1]);
        b.owners.push_back(order[start + i]);
      }
    }
    const bool padded =
        spans[order[start + count - 1]].tokens.size() < spans[order[start]].tokens.size();
    b.input.tokens = tokens.to(device);
    if (padded) b.input.valid = valid.to(device);
    batches.push_back(std::move(b));
  }
  return batches;
}

// Adds the log-likelihoods of `batch`'s targets, read from its final hidden states, to `total`.
void add_batch_loss(const model::Model& model, SpanBatch& batch, const torch::Tensor& hidden,
                    LossTotal& total) {
  const torch::Device device = hidden.device();
  const auto as_tensor = [&](std::vector<std::int64_t>& values) {
    return torch::from_blob(values.data(), {static_cast<std::int64_t>(values.size())},
                            torch::kInt64)
        .to(device);
  };
  const torch::Tensor selected =
      hidden.reshape({-1, hidden.size(-1)}).index_select(0, as_tensor(batch.rows));
  const torch::Tensor log_probs =
      score_tokens(model, selected, as_tensor(batch.targets), /*want_greedy=*/false)
          .log_probs.to(torch::kCPU, torch::kFloat64)
          .contiguous();
  const double* lp = log_probs.data_ptr<double>();
  for (std::size_t t = 0; t < batch.owners.size(); ++t) {
    total.spans[batch.owners[t]].nll -= lp[t];
    ++total.spans[batch.owners[t]].targets;
    total.nll -= lp[t];
  }
  total.targets += static_cast<std::int64_t>(batch.targets.size());
}

}  // namespace

LossTotal score_spans(const ScoredModel& model, const std::vector<TokenSpan>& spans,
                      const ScoreOptions& options) {
  std::vector<SpanBatch> batches = span_batches(spans, options.batch, model.frame().device());
  std::vector<model::TokenBatch> inputs;
  for (const SpanBatch& batch : batches) inputs.push_back(batch.input);
  LossTotal total;
  total.spans.resize(spans.size());
  model.run(
      inputs,
      [&](std::size_t b, const torch::Tensor& hidden) {
        add_batch_loss(model.frame(), batches[b], hidden, total);
      },
      options.progress_label);
  return total;
}

std::vector<TokenSpan> window_spans(const std::vector<std::int32_t>& tokens, std::int64_t ctx,
                                    std::int64_t stride) {
  CLAW_CHECK(ctx >= 2, "a window needs at least 2 tokens, got ", ctx);
  CLAW_CHECK(stride >= 1 && stride <= ctx, "the stride must be in [1, ", ctx, "], got ", stride);
  const auto total = static_cast<std::int64_t>(tokens.size());
  std::vector<TokenSpan> spans;
  const auto take = [&](std::int64_t begin, std::int64_t end, std::int64_t first_target) {
    spans.push_back(
        {std::vector<std::int32_t>(tokens.begin() + begin, tokens.begin() + end), first_target});
  };
  if (stride == ctx) {
    for (std::int64_t begin = 0; begin + ctx <= total; begin += ctx) take(begin, begin + ctx, 1);
    return spans;
  }
  std::int64_t scored_until = 0;
  for (std::int64_t begin = 0; scored_until < total; begin += stride) {
    const std::int64_t end = std::min(begin + ctx, total);
    take(begin, end, std::max<std::int64_t>(1, scored_until - begin));
    scored_until = end;
  }
  return spans;
}

IntrinsicPlan plan_intrinsic(const model::ModelConfig& config, const text::Tokenizer& tokenizer,
                             const data::Corpus& corpus, const IntrinsicOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  CLAW_CHECK(tokenizer.vocab_size() <= config.vocab_size, "the tokenizer has ",
             tokenizer.vocab_size(), " tokens but the model only ", config.vocab_size);
  IntrinsicPlan plan;
  plan.name = corpus.name;
  IntrinsicResult& result = plan.result;
  std::vector<TokenSpan>& spans = plan.spans;
  result.mode = options.mode.value_or(
      corpus.layout == data::TextLayout::kDocuments ? Mode::kDocuments : Mode::kWindows);
  const std::int64_t context = config.max_position_embeddings;
  result.ctx = options.ctx > 0                 ? options.ctx
               : result.mode == Mode::kWindows ? std::min(kDefaultWindow, context)
                                               : context;
  if (result.ctx < 2) throw OptionError("ctx", concat("must be at least 2, got ", result.ctx));
  if (result.ctx > context) {
    throw OptionError(
        "ctx", concat(result.ctx, " is longer than the model's context of ", context, " tokens"));
  }
  if (options.limit_tokens < 0) throw OptionError("limit_tokens", "must not be negative");
  const std::string limit_text =
      options.limit_tokens > 0
          ? concat(", limited to its first ", with_commas(options.limit_tokens), " tokens")
          : "";

  if (result.mode == Mode::kWindows) {
    result.stride = options.stride > 0 ? options.stride : result.ctx;
    if (result.stride > result.ctx) {
      throw OptionError("stride",
                        concat(result.stride, " is longer than the window of ", result.ctx));
    }
    std::vector<std::int32_t> tokens = tokenizer.encode(corpus.text, {});
    if (options.limit_tokens > 0 &&
        static_cast<std::int64_t>(tokens.size()) > options.limit_tokens) {
      tokens.resize(static_cast<std::size_t>(options.limit_tokens));
    }
    const auto count = static_cast<std::int64_t>(tokens.size());
    const std::int64_t needed = result.stride == result.ctx ? result.ctx : 2;
    CLAW_CHECK(count >= needed, corpus.name, ": the text has ", count,
               " tokens, fewer than one window of ", result.ctx, "; pass a smaller --ctx");
    spans = window_spans(tokens, result.ctx, result.stride);
    if (result.stride == result.ctx) {
      const std::int64_t tail = count % result.ctx;
      result.protocol = concat(
          corpus.name, " as one text (", with_commas(count), " tokens, no BOS", limit_text,
          ") cut into ", spans.size(), " non-overlapping windows of ", result.ctx,
          "; every token but each window's first is scored",
          tail > 0 ? concat("; the last ", tail, " tokens (less than a window) are not") : "");
    } else {
      result.protocol = concat(corpus.name, " as one text (", with_commas(count), " tokens, no BOS",
                               limit_text, ") in ", spans.size(), " windows of ", result.ctx,
                               " starting every ", result.stride,
                               " tokens; each scores only tokens no earlier window scored, so "
                               "every token but the first is scored with at least ",
                               result.ctx - result.stride, " tokens of context where available");
    }
  } else {
    if (options.stride != 0) throw OptionError("stride", "applies to windows mode only");
    std::int64_t budget = options.limit_tokens > 0 ? options.limit_tokens : INT64_MAX;
    std::int64_t truncated = 0;
    for (const std::string& document : corpus.documents) {
      if (budget <= 0) break;
      std::vector<std::int32_t> ids = tokenizer.encode(document, {/*add_bos=*/true});
      if (static_cast<std::int64_t>(ids.size()) > result.ctx) {
        ids.resize(static_cast<std::size_t>(result.ctx));
        ++truncated;
      }
      if (static_cast<std::int64_t>(ids.size()) > budget)
        ids.resize(static_cast<std::size_t>(budget));
      budget -= static_cast<std::int64_t>(ids.size());
      if (ids.size() >= 2) spans.push_back({std::move(ids), 1});
    }
    CLAW_CHECK(!spans.empty(), corpus.name, ": no document has two tokens to score");
    const bool bos = tokenizer.bos_id().has_value();
    result.protocol =
        concat(corpus.name, ": ", spans.size(), " documents", limit_text,
               ", each alone, stripped of surrounding whitespace, ",
               bos ? "BOS first" : "no BOS (the tokenizer has none)", ", truncated at ", result.ctx,
               " tokens (", truncated, " were); every token ", bos ? "after BOS" : "but the first",
               " is scored");
  }

  result.sequences = static_cast<std::int64_t>(spans.size());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return plan;
}

IntrinsicResult score_intrinsic(const ScoredModel& model, const IntrinsicPlan& plan,
                                const IntrinsicOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const LossTotal total =
      score_spans(model, plan.spans,
                  {.batch = options.batch,
                   .progress_label = options.progress ? "eval " + plan.name : std::string()});
  IntrinsicResult result = plan.result;
  result.loss = total.mean();
  result.standard_error = total.standard_error();
  result.perplexity = std::exp(result.loss);
  result.tokens_scored = total.targets;
  result.spans = total.spans;
  result.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

IntrinsicResult evaluate_intrinsic(const model::Model& model, const text::Tokenizer& tokenizer,
                                   const data::Corpus& corpus, const IntrinsicOptions& options) {
  return score_intrinsic(model, plan_intrinsic(model.config, tokenizer, corpus, options), options);
}

}  // namespace claw::eval

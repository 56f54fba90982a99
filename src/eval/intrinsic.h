// Intrinsic evaluation: mean next-token cross-entropy (nats per predicted token) and perplexity
// of a model on a corpus, under a stated protocol (docs/architecture.md, "Protocols"). The scorer
// is the one every part of claw uses, from `claw eval` to the study runner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/corpus.h"
#include "eval/scored_model.h"
#include "model/model.h"
#include "text/tokenizer.h"

namespace claw::eval {

// A token sequence fed to the model whole, of which tokens[first_target..] are scored, each
// predicted from the tokens before it (so first_target >= 1).
struct TokenSpan {
  std::vector<std::int32_t> tokens;
  std::int64_t first_target = 1;
  std::int64_t targets() const { return static_cast<std::int64_t>(tokens.size()) - first_target; }
};

struct SpanLoss {
  double nll = 0;  // summed in double over the span's targets
  std::int64_t targets = 0;
};

struct LossTotal {
  double nll = 0;  // summed in double over every target
  std::int64_t targets = 0;
  std::vector<SpanLoss> spans;  // one per input span, in input order
  double mean() const { return targets > 0 ? nll / static_cast<double>(targets) : 0; }
  // The standard error of mean() with the spans (documents or windows) as the sampled units, not
  // the tokens, which are correlated within a span: the ratio estimator's
  // √(n/(n−1) · Σ (nll_i − mean·targets_i)²) / Σ targets_i over the n spans with targets. NaN
  // with fewer than two.
  double standard_error() const;
};

struct ScoreOptions {
  std::int64_t batch = 1;      // spans per forward pass
  std::string progress_label;  // a progress bar with this label; empty: none
};

// The summed negative log-likelihood of every span's targets. Spans are batched longest first
// (least padding) and padded on the right; log-softmax runs in float32 on a few positions at a
// time. The result does not depend on batch size, padding, thread count or whether the model is
// streamed (ScoredModel) beyond float32 rounding of individual logits.
LossTotal score_spans(const ScoredModel& model, const std::vector<TokenSpan>& spans,
                      const ScoreOptions& options = {});

// `tokens` cut into windows of `ctx`. With stride == ctx: non-overlapping windows, each scoring
// every token but its first; a tail shorter than a window is left out. With stride < ctx:
// windows start every `stride` tokens and the last one ends at the end of the text; each scores
// only the tokens no earlier window scored (never its own first).
std::vector<TokenSpan> window_spans(const std::vector<std::int32_t>& tokens, std::int64_t ctx,
                                    std::int64_t stride);

enum class Mode { kWindows, kDocuments };

struct IntrinsicOptions {
  std::optional<Mode> mode;       // default: the corpus's layout
  std::int64_t ctx = 0;           // window length, or document truncation; 0 = the default
  std::int64_t stride = 0;        // windows only; 0 = ctx (non-overlapping)
  std::int64_t limit_tokens = 0;  // use only the corpus's first N tokens; 0 = all
  std::int64_t batch = 1;
  bool progress = true;  // a progress bar on stderr
};

struct IntrinsicResult {
  double loss = 0;            // nats per predicted token
  double standard_error = 0;  // of the loss, over the sequences (LossTotal::standard_error)
  double perplexity = 0;
  std::int64_t tokens_scored = 0;
  std::int64_t sequences = 0;  // windows or documents
  Mode mode = Mode::kWindows;
  std::int64_t ctx = 0, stride = 0;
  std::string protocol;  // the whole protocol in words, to print beside the number
  double seconds = 0;
  // Each sequence's summed loss, in the plan's order: two models scored by one plan compare
  // sequence by sequence.
  std::vector<SpanLoss> spans;
};

// What evaluate_intrinsic scores, made from the model's config alone, so that the options and
// the text are checked (and tokenized) before any weight is read.
struct IntrinsicPlan {
  std::string name;              // the corpus's
  std::vector<TokenSpan> spans;  // windows or documents
  IntrinsicResult result;        // its protocol, mode, ctx, stride, sequences; seconds so far
};
IntrinsicPlan plan_intrinsic(const model::ModelConfig& config, const text::Tokenizer& tokenizer,
                             const data::Corpus& corpus, const IntrinsicOptions& options);
IntrinsicResult score_intrinsic(const ScoredModel& model, const IntrinsicPlan& plan,
                                const IntrinsicOptions& options);

// The two in one.
IntrinsicResult evaluate_intrinsic(const model::Model& model, const text::Tokenizer& tokenizer,
                                   const data::Corpus& corpus, const IntrinsicOptions& options);

const char* mode_name(Mode mode);

}  // namespace claw::eval

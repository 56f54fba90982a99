// Log-likelihoods of continuations given contexts, as lm-evaluation-harness 0.4 computes them
// for causal models, and faster: requests that share a prompt run it once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/choice_task.h"
#include "eval/harness.h"
#include "eval/scored_model.h"
#include "text/tokenizer.h"

namespace claw::eval {

// The model reads context + continuation minus its last token and is scored on predicting each
// continuation token.
struct TokenRequest {
  std::vector<std::int32_t> context, continuation;
};

struct ContinuationScore {
  double loglikelihood = 0;  // natural log, summed over the continuation's tokens
  bool greedy = false;       // every continuation token is the argmax of its prediction
  std::int64_t tokens = 0;   // continuation tokens
};

// The harness's _encode_pair: trailing whitespace of the context moves to the front of the
// continuation; context + continuation is encoded as one string (special-token text parsed;
// BOS as `harness` says) and split after as many tokens as the context alone encodes to. An
// empty context becomes the prefix token, BOS (EOS when there is none), and the continuation is
// encoded alone without BOS. A continuation that encodes to no token of its own is an error.
TokenRequest tokenize_request(const text::Tokenizer& tokenizer,
                              const data::LoglikelihoodRequest& request,
                              Harness harness = kDefaultHarness);

// An error unless the continuation fits in a model context of `context` tokens.
void check_fits(const TokenRequest& request, std::int64_t context);

struct LoglikelihoodOptions {
  std::int64_t batch = 8;  // groups per forward pass
  // Run each group's longest common token prefix once, with every request's remainder packed
  // after it in the same row; off, each request is a sequence of its own (the harness's way).
  bool share_prefix = true;
  std::string progress_label;  // a progress bar with this label; empty: none
};

struct LoglikelihoodWork {
  std::int64_t tokens_processed = 0;  // tokens fed to the model, padding excluded
  std::int64_t forward_passes = 0;
};

// Scores `groups` of requests (typically one question's choices), returning the scores group
// by group in request order; with share_prefix, a group's requests attend to their common
// prefix and to themselves only (model::packed_attention), as if each ran alone. A sequence longer
// than the model's context keeps its last context + 1 tokens, as the harness truncates; a
// continuation longer than the context is an error. Identical requests (the same tokens after
// truncation) are computed once and share the score, so duplicated choices tie exactly, as in
// the harness. Groups are batched longest first; padding, batch size, prefix sharing and
// streaming (ScoredModel) change nothing but float rounding.
std::vector<std::vector<ContinuationScore>> score_requests(
    const ScoredModel& model, const std::vector<std::vector<TokenRequest>>& groups,
    const LoglikelihoodOptions& options = {}, LoglikelihoodWork* work = nullptr);

}  // namespace claw::eval

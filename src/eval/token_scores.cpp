#include "eval/token_scores.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <vector>

#include "model/decoder.h"

namespace claw::eval {
namespace {

// The LM head is applied to at most this many bytes of float32 logits at once.
constexpr std::int64_t kLogitBudgetBytes = std::int64_t{128} << 20;

}  // namespace

TokenScores score_tokens(const model::Model& model, const torch::Tensor& hidden,
                         const torch::Tensor& targets, bool want_greedy) {
  const std::int64_t vocab = model.head().size(0);
  const std::int64_t chunk = std::max<std::int64_t>(1, kLogitBudgetBytes / (vocab * 4));
  std::vector<torch::Tensor> log_probs, greedy;
  for (std::int64_t begin = 0; begin < hidden.size(0); begin += chunk) {
    const std::int64_t rows = std::min(chunk, hidden.size(0) - begin);
    torch::Tensor logits =
        model::project(hidden.narrow(0, begin, rows), model.head()).to(torch::kFloat32);
    const torch::Tensor target = targets.narrow(0, begin, rows);
    const torch::Tensor picked = logits.gather(1, target.unsqueeze(1)).squeeze(1);
    // One pass finds both the maximum and its index; the shifted exponentials then overwrite
    // the logits, which are not needed again.
    const auto [max, argmax] = at::max(logits, 1);
    const torch::Tensor log_sum_exp = max + logits.sub_(max.unsqueeze(1)).exp_().sum(1).log_();
    log_probs.push_back((picked - log_sum_exp).to(torch::kFloat64));
    if (want_greedy) greedy.push_back(argmax == target);
  }
  const auto options = hidden.options();
  TokenScores scores;
  scores.log_probs =
      log_probs.empty() ? torch::zeros({0}, options.dtype(torch::kFloat64)) : torch::cat(log_probs);
  if (want_greedy) {
    scores.greedy =
        greedy.empty() ? torch::zeros({0}, options.dtype(torch::kBool)) : torch::cat(greedy);
  }
  return scores;
}

}  // namespace claw::eval

#include "eval/loglikelihood.h"

#include <torch/types.h>

#include <algorithm>
#include <numeric>
#include <optional>

#include "core/error.h"
#include "eval/token_scores.h"
#include "model/decoder.h"
#include "model/kv_cache.h"

namespace claw::eval {
namespace {

// A request as the model sees it: context + continuation, left-truncated to the model's context
// + 1 tokens. The model reads all but the last token and predicts the last `scored`.
struct Sequence {
  std::vector<std::int32_t> tokens;
  std::int64_t scored = 0;
  std::size_t group = 0, index = 0;  // where its score goes
  std::int64_t input_length() const { return static_cast<std::int64_t>(tokens.size()) - 1; }
};

// Sequences whose first `prefix` input tokens are the same: the prefix runs once, and each
// sequence's remaining input runs after it on a copy of its KV cache.
struct Group {
  std::vector<std::size_t> members;  // into the sequences
  std::int64_t prefix = 0;
  std::int64_t longest_input = 0;
};

Sequence make_sequence(const TokenRequest& request, std::int64_t context, std::size_t group,
                       std::size_t index) {
  const auto scored = static_cast<std::int64_t>(request.continuation.size());
  CLAW_CHECK(!request.context.empty() && scored > 0,
             "a request needs context and continuation tokens");
  CLAW_CHECK(scored <= context, "a continuation of ", scored,
             " tokens does not fit in the model's context of ", context);
  Sequence sequence{request.context, scored, group, index};
  sequence.tokens.insert(sequence.tokens.end(), request.continuation.begin(),
                         request.continuation.end());
  const auto excess = static_cast<std::int64_t>(sequence.tokens.size()) - (context + 1);
  if (excess > 0) sequence.tokens.erase(sequence.tokens.begin(), sequence.tokens.begin() + excess);
  return sequence;
}

Group single(const std::vector<Sequence>& sequences, std::size_t member) {
  const std::int64_t length = sequences[member].input_length();
  return {{member}, length, length};
}

// The groups to run: with sharing, each request group's common input prefix (when it has one);
// without, every sequence alone.
std::vector<Group> plan_groups(const std::vector<Sequence>& sequences,
                               const std::vector<std::vector<std::size_t>>& by_request_group,
                               bool share_prefix) {
  std::vector<Group> groups;
  for (const std::vector<std::size_t>& members : by_request_group) {
    if (members.empty()) continue;
    std::int64_t prefix = sequences[members.front()].input_length(), longest = 0;
    for (const std::size_t m : members) {
      const Sequence& s = sequences[m];
      const auto& first = sequences[members.front()].tokens;
      prefix = std::min(prefix, s.input_length());
      prefix = std::mismatch(first.begin(), first.begin() + prefix, s.tokens.begin()).first -
               first.begin();
      longest = std::max(longest, s.input_length());
    }
    if (share_prefix && (members.size() == 1 || prefix > 0)) {
      groups.push_back({members, prefix, longest});
    } else {
      for (const std::size_t m : members) groups.push_back(single(sequences, m));
    }
  }
  return groups;
}

torch::Tensor int64_tensor(const std::vector<std::int64_t>& values, torch::Device device) {
  return torch::tensor(values, torch::kInt64).to(device);
}

class BatchScorer {
 public:
  BatchScorer(const model::Model& model, const std::vector<Sequence>& sequences,
              std::vector<std::vector<ContinuationScore>>& scores, LoglikelihoodWork& work)
      : model_(model), sequences_(sequences), scores_(scores), work_(work) {}

  void run(const std::vector<const Group*>& batch) {
    const auto groups = static_cast<std::int64_t>(batch.size());
    std::int64_t prefix_width = 0;
    for (const Group* g : batch) prefix_width = std::max(prefix_width, g->prefix);
    const torch::Device device = model_.embed.device();

    // Phase 1: the prefixes, left-padded so that every one ends in the last column.
    torch::Tensor tokens = torch::zeros({groups, prefix_width}, torch::kInt64);
    torch::Tensor valid = torch::zeros({groups, prefix_width}, torch::kBool);
    auto token_data = tokens.accessor<std::int64_t, 2>();
    auto valid_data = valid.accessor<bool, 2>();
    bool padded = false, continues = false;
    for (std::int64_t b = 0; b < groups; ++b) {
      const Group& g = *batch[b];
      const std::vector<std::int32_t>& first = sequences_[g.members.front()].tokens;
      const std::int64_t offset = prefix_width - g.prefix;
      for (std::int64_t t = 0; t < g.prefix; ++t) {
        token_data[b][offset + t] = first[t];
        valid_data[b][offset + t] = true;
      }
      padded |= offset > 0;
      continues |= g.longest_input > g.prefix;
      work_.tokens_processed += g.prefix;
    }
    std::optional<model::KvCache> cache;
    if (continues) {
      cache.emplace(model_.config, groups, prefix_width, device, model_.dtype());
    }
    const torch::Tensor prefix_hidden = model::final_hidden_states(
        model_, tokens.to(device), padded ? valid.to(device) : torch::Tensor(),
        cache ? &*cache : nullptr);
    ++work_.forward_passes;

    // Phase 2: every sequence's remaining input after its group's prefix, right-padded.
    std::vector<std::int64_t> row_of(sequences_.size(), -1), source_group;
    std::int64_t rest_width = 0;
    for (std::int64_t b = 0; b < groups; ++b) {
      for (const std::size_t m : batch[b]->members) {
        const std::int64_t rest = sequences_[m].input_length() - batch[b]->prefix;
        if (rest == 0) continue;
        row_of[m] = static_cast<std::int64_t>(source_group.size());
        source_group.push_back(b);
        rest_width = std::max(rest_width, rest);
      }
    }
    torch::Tensor rest_hidden;
    if (!source_group.empty()) {
      const auto rows = static_cast<std::int64_t>(source_group.size());
      torch::Tensor rest_tokens = torch::zeros({rows, rest_width}, torch::kInt64);
      torch::Tensor rest_valid = torch::zeros({rows, rest_width}, torch::kBool);
      auto rest_token_data = rest_tokens.accessor<std::int64_t, 2>();
      auto rest_valid_data = rest_valid.accessor<bool, 2>();
      bool rest_padded = false;
      for (std::int64_t b = 0; b < groups; ++b) {
        for (const std::size_t m : batch[b]->members) {
          if (row_of[m] < 0) continue;
          const Sequence& s = sequences_[m];
          const std::int64_t rest = s.input_length() - batch[b]->prefix;
          for (std::int64_t t = 0; t < rest; ++t) {
            rest_token_data[row_of[m]][t] = s.tokens[batch[b]->prefix + t];
            rest_valid_data[row_of[m]][t] = true;
          }
          rest_padded |= rest < rest_width;
          work_.tokens_processed += rest;
        }
      }
      model::KvCache rest_cache =
          cache->select_rows(int64_tensor(source_group, device), prefix_width + rest_width);
      rest_hidden = model::final_hidden_states(
          model_, rest_tokens.to(device), rest_padded ? rest_valid.to(device) : torch::Tensor(),
          &rest_cache);
      ++work_.forward_passes;
    }

    // Each scored position's hidden state, from whichever phase computed it.
    std::vector<std::int64_t> positions, targets;
    std::vector<std::size_t> owner;
    const std::int64_t rest_base = groups * prefix_width;
    for (std::int64_t b = 0; b < groups; ++b) {
      const Group& g = *batch[b];
      for (const std::size_t m : g.members) {
        const Sequence& s = sequences_[m];
        const std::int64_t length = static_cast<std::int64_t>(s.tokens.size());
        for (std::int64_t q = length - 1 - s.scored; q < length - 1; ++q) {
          positions.push_back(q < g.prefix ? b * prefix_width + (prefix_width - g.prefix) + q
                                           : rest_base + row_of[m] * rest_width + (q - g.prefix));
          targets.push_back(s.tokens[q + 1]);
          owner.push_back(m);
        }
      }
    }
    const std::int64_t width = prefix_hidden.size(-1);
    torch::Tensor hidden = prefix_hidden.reshape({-1, width});
    if (rest_hidden.defined()) hidden = torch::cat({hidden, rest_hidden.reshape({-1, width})});
    const TokenScores token_scores =
        score_tokens(model_, hidden.index_select(0, int64_tensor(positions, device)),
                     int64_tensor(targets, device), /*want_greedy=*/true);
    const torch::Tensor log_probs = token_scores.log_probs.cpu();
    const torch::Tensor greedy = token_scores.greedy.cpu();
    const double* lp = log_probs.data_ptr<double>();
    const bool* gr = greedy.data_ptr<bool>();
    for (std::size_t i = 0; i < owner.size(); ++i) {
      const Sequence& s = sequences_[owner[i]];
      ContinuationScore& score = scores_[s.group][s.index];
      score.loglikelihood += lp[i];
      score.greedy = score.greedy && gr[i];
    }
  }

 private:
  const model::Model& model_;
  const std::vector<Sequence>& sequences_;
  std::vector<std::vector<ContinuationScore>>& scores_;
  LoglikelihoodWork& work_;
};

}  // namespace

TokenRequest tokenize_request(const text::Tokenizer& tokenizer,
                              const data::LoglikelihoodRequest& request) {
  const text::EncodeOptions options{/*add_bos=*/false, /*parse_special=*/true};
  std::string context = request.context, continuation = request.continuation;
  const std::size_t kept = context.find_last_not_of(" \t\n\r\f\v");
  const std::size_t cut = kept == std::string::npos ? 0 : kept + 1;
  continuation.insert(0, context, cut);
  context.resize(cut);

  TokenRequest tokens;
  if (context.empty()) {
    const std::optional<std::int32_t> prefix =
        tokenizer.bos_id() ? tokenizer.bos_id() : tokenizer.eos_id();
    CLAW_CHECK(prefix.has_value(), "an empty context needs a BOS or EOS token to start from");
    tokens.context = {*prefix};
    tokens.continuation = tokenizer.encode(continuation, options);
  } else {
    const std::vector<std::int32_t> whole = tokenizer.encode(context + continuation, options);
    tokens.context = tokenizer.encode(context, options);
    if (whole.size() > tokens.context.size()) {
      tokens.continuation.assign(whole.begin() + static_cast<std::ptrdiff_t>(tokens.context.size()),
                                 whole.end());
    }
  }
  CLAW_CHECK(!tokens.continuation.empty(), "the continuation '", request.continuation,
             "' encodes to no token of its own");
  return tokens;
}

std::vector<std::vector<ContinuationScore>> score_requests(
    const model::Model& model, const std::vector<std::vector<TokenRequest>>& groups,
    const LoglikelihoodOptions& options, LoglikelihoodWork* work) {
  CLAW_CHECK(options.batch >= 1, "the batch size must be at least 1, got ", options.batch);
  const std::int64_t context = model.config.max_position_embeddings;
  std::vector<Sequence> sequences;
  std::vector<std::vector<std::size_t>> members(groups.size());
  std::vector<std::vector<ContinuationScore>> scores(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (std::size_t i = 0; i < groups[g].size(); ++i) {
      members[g].push_back(sequences.size());
      sequences.push_back(make_sequence(groups[g][i], context, g, i));
    }
    scores[g].assign(groups[g].size(), ContinuationScore{0, true, 0});
    for (std::size_t i = 0; i < groups[g].size(); ++i) {
      scores[g][i].tokens = static_cast<std::int64_t>(groups[g][i].continuation.size());
    }
  }
  std::vector<Group> plan = plan_groups(sequences, members, options.share_prefix);
  // Longest first, so each batch pads its prefixes and remainders as little as possible.
  std::stable_sort(plan.begin(), plan.end(), [](const Group& a, const Group& b) {
    return std::make_pair(a.prefix, a.longest_input) > std::make_pair(b.prefix, b.longest_input);
  });

  const torch::NoGradGuard no_grad;
  LoglikelihoodWork local_work;
  BatchScorer scorer(model, sequences, scores, work ? *work : local_work);
  const auto batch = static_cast<std::size_t>(options.batch);
  std::int64_t done = 0;
  for (std::size_t start = 0; start < plan.size(); start += batch) {
    std::vector<const Group*> selected;
    for (std::size_t i = start; i < std::min(plan.size(), start + batch); ++i) {
      selected.push_back(&plan[i]);
    }
    scorer.run(selected);
    for (const Group* g : selected) done += static_cast<std::int64_t>(g->members.size());
    if (options.on_progress) options.on_progress(done);
  }
  return scores;
}

}  // namespace claw::eval

#include "eval/loglikelihood.h"

#include <torch/types.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <tuple>

#include "core/error.h"
#include "core/text_file.h"
#include "eval/token_scores.h"
#include "model/decoder.h"

namespace claw::eval {
namespace {

// A distinct request as the model sees it: context + continuation, left-truncated to the model's
// context + 1 tokens. The model reads all but the last token and predicts the last `scored`.
struct Sequence {
  std::vector<std::int32_t> tokens;
  std::int64_t scored = 0;
  std::int64_t input_length() const { return static_cast<std::int64_t>(tokens.size()) - 1; }
  bool operator<(const Sequence& other) const {
    return std::tie(scored, tokens) < std::tie(other.scored, other.tokens);
  }
};

// Sequences whose first `prefix` input tokens are the same: the prefix runs once, followed by
// each sequence's remaining input.
struct Group {
  std::vector<std::size_t> members;  // into the sequences
  std::int64_t prefix = 0;
};

Sequence make_sequence(const TokenRequest& request, std::int64_t context) {
  const auto scored = static_cast<std::int64_t>(request.continuation.size());
  CLAW_CHECK(!request.context.empty() && scored > 0,
             "a request needs context and continuation tokens");
  check_fits(request, context);
  Sequence sequence{request.context, scored};
  sequence.tokens.insert(sequence.tokens.end(), request.continuation.begin(),
                         request.continuation.end());
  const auto excess = static_cast<std::int64_t>(sequence.tokens.size()) - (context + 1);
  if (excess > 0) sequence.tokens.erase(sequence.tokens.begin(), sequence.tokens.begin() + excess);
  return sequence;
}

// The tokens of a group's row: its prefix once, then every member's remaining input.
std::int64_t packed_length(const std::vector<Sequence>& sequences, const Group& group) {
  std::int64_t length = group.prefix;
  for (const std::size_t m : group.members) length += sequences[m].input_length() - group.prefix;
  return length;
}

Group single(const std::vector<Sequence>& sequences, std::size_t member) {
  return {{member}, sequences[member].input_length()};
}

// The groups to run: with sharing, each request group's common input prefix (when it has one);
// without, every sequence alone.
std::vector<Group> plan_groups(const std::vector<Sequence>& sequences,
                               const std::vector<std::vector<std::size_t>>& by_request_group,
                               bool share_prefix) {
  std::vector<Group> groups;
  for (const std::vector<std::size_t>& members : by_request_group) {
    if (members.empty()) continue;
    const std::vector<std::int32_t>& first = sequences[members.front()].tokens;
    std::int64_t prefix = sequences[members.front()].input_length();
    for (const std::size_t m : members) {
      const Sequence& s = sequences[m];
      prefix = std::min(prefix, s.input_length());
      prefix = std::mismatch(first.begin(), first.begin() + prefix, s.tokens.begin()).first -
               first.begin();
    }
    if (share_prefix && (members.size() == 1 || prefix > 0)) {
      groups.push_back({members, prefix});
    } else {
      for (const std::size_t m : members) groups.push_back(single(sequences, m));
    }
  }
  return groups;
}

torch::Tensor int64_tensor(const std::vector<std::int64_t>& values, torch::Device device) {
  return torch::tensor(values, torch::kInt64).to(device);
}

// A batch of groups packed for one forward pass, and where its scored positions are. Each group
// is one row: its prefix, then every member's remaining input, each in a segment of its own that
// sees the prefix and itself only (model::packed_attention), so no member waits for, pads to, or
// copies the cache of another.
struct PackedBatch {
  model::TokenBatch input;
  // Per scored position: its row in the flattened hidden states, its target, its sequence.
  std::vector<std::int64_t> positions, targets;
  std::vector<std::size_t> owner;
};

PackedBatch pack(const std::vector<Sequence>& sequences, const std::vector<const Group*>& batch,
                 torch::Device device, LoglikelihoodWork& work) {
  const auto rows = static_cast<std::int64_t>(batch.size());
  // Where each member's remaining input starts in its row.
  std::vector<std::int64_t> rest_start(sequences.size(), 0);
  std::int64_t width = 0;
  for (const Group* g : batch) {
    std::int64_t start = g->prefix;
    for (const std::size_t m : g->members) {
      rest_start[m] = start;
      start += sequences[m].input_length() - g->prefix;
    }
    width = std::max(width, packed_length(sequences, *g));
  }

  torch::Tensor tokens = torch::zeros({rows, width}, torch::kInt64);
  torch::Tensor valid = torch::zeros({rows, width}, torch::kBool);
  torch::Tensor segments = torch::zeros({rows, width}, torch::kInt64);
  auto token_data = tokens.accessor<std::int64_t, 2>();
  auto valid_data = valid.accessor<bool, 2>();
  auto segment_data = segments.accessor<std::int64_t, 2>();
  PackedBatch packed;
  for (std::int64_t b = 0; b < rows; ++b) {
    const Group& g = *batch[b];
    const std::vector<std::int32_t>& first = sequences[g.members.front()].tokens;
    for (std::int64_t t = 0; t < g.prefix; ++t) {
      token_data[b][t] = first[t];
      valid_data[b][t] = true;
    }
    for (std::size_t k = 0; k < g.members.size(); ++k) {
      const Sequence& s = sequences[g.members[k]];
      for (std::int64_t t = g.prefix; t < s.input_length(); ++t) {
        const std::int64_t slot = rest_start[g.members[k]] + t - g.prefix;
        token_data[b][slot] = s.tokens[t];
        valid_data[b][slot] = true;
        segment_data[b][slot] = static_cast<std::int64_t>(k) + 1;
      }
    }
    work.tokens_processed += packed_length(sequences, g);
    // Each scored position's hidden state: in the prefix, or in the member's own segment.
    for (const std::size_t m : g.members) {
      const Sequence& s = sequences[m];
      const auto length = static_cast<std::int64_t>(s.tokens.size());
      for (std::int64_t q = length - 1 - s.scored; q < length - 1; ++q) {
        packed.positions.push_back(b * width + (q < g.prefix ? q : rest_start[m] + q - g.prefix));
        packed.targets.push_back(s.tokens[q + 1]);
        packed.owner.push_back(m);
      }
    }
  }
  packed.input = {tokens.to(device), valid.to(device), segments.to(device)};
  ++work.forward_passes;
  return packed;
}

// Adds what `hidden`, the final states of `packed`'s forward pass, says of its scored positions
// to their sequences' scores.
void add_scores(const model::Model& model, const PackedBatch& packed, const torch::Tensor& hidden,
                std::vector<ContinuationScore>& scores) {
  const torch::Device device = hidden.device();
  const TokenScores token_scores = score_tokens(
      model,
      hidden.reshape({-1, hidden.size(-1)}).index_select(0, int64_tensor(packed.positions, device)),
      int64_tensor(packed.targets, device), /*want_greedy=*/true);
  const torch::Tensor log_probs = token_scores.log_probs.cpu();
  const torch::Tensor greedy = token_scores.greedy.cpu();
  const double* lp = log_probs.data_ptr<double>();
  const bool* gr = greedy.data_ptr<bool>();
  for (std::size_t i = 0; i < packed.owner.size(); ++i) {
    ContinuationScore& score = scores[packed.owner[i]];
    score.loglikelihood += lp[i];
    score.greedy = score.greedy && gr[i];
  }
}

}  // namespace

void check_fits(const TokenRequest& request, std::int64_t context) {
  const auto tokens = static_cast<std::int64_t>(request.continuation.size());
  CLAW_CHECK(tokens <= context, "a continuation of ", tokens,
             " tokens does not fit in the model's context of ", context);
}

TokenRequest tokenize_request(const text::Tokenizer& tokenizer,
                              const data::LoglikelihoodRequest& request, Harness harness) {
  const std::string context(rstrip(request.context));
  const std::string continuation = request.context.substr(context.size()) + request.continuation;

  TokenRequest tokens;
  if (context.empty()) {
    const std::optional<std::int32_t> prefix =
        tokenizer.bos_id() ? tokenizer.bos_id() : tokenizer.eos_id();
    CLAW_CHECK(prefix.has_value(), "an empty context needs a BOS or EOS token to start from");
    tokens.context = {*prefix};
    tokens.continuation =
        tokenizer.encode(continuation, {/*add_bos=*/false, /*parse_special=*/true});
    // Since 0.4.9.2 a continuation that starts with the prefix token lends it to the context.
    if (harness == Harness::k0_4_9_2 && !tokens.continuation.empty() &&
        tokens.continuation.front() == *prefix) {
      tokens.continuation.erase(tokens.continuation.begin());
    }
  } else {
    // A context that already starts with BOS's text gets no second one (has_bos_prefix).
    bool add_bos = adds_bos(harness, tokenizer);
    if (add_bos) {
      const std::string bos_text = tokenizer.decode_token(-1, *tokenizer.bos_id());
      add_bos = bos_text.empty() || context.rfind(bos_text, 0) != 0;
    }
    const text::EncodeOptions options{add_bos, /*parse_special=*/true};
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
    const ScoredModel& model, const std::vector<std::vector<TokenRequest>>& groups,
    const LoglikelihoodOptions& options, LoglikelihoodWork* work) {
  CLAW_CHECK(options.batch >= 1, "the batch size must be at least 1, got ", options.batch);
  const std::int64_t context = model.config().max_position_embeddings;
  // Each distinct sequence is scored once, in the first group that asks for it, and its score is
  // shared by every request that is the same sequence: identical requests score identically, so
  // ties between duplicated choices are exact, as in the harness.
  std::vector<Sequence> sequences;
  std::map<Sequence, std::size_t> distinct;
  std::vector<std::vector<std::size_t>> members(groups.size());
  std::vector<std::vector<std::size_t>> sequence_of(groups.size());
  std::vector<std::int64_t> requests_of;  // per sequence: the requests it answers
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const TokenRequest& request : groups[g]) {
      Sequence sequence = make_sequence(request, context);
      const auto [it, added] = distinct.emplace(std::move(sequence), sequences.size());
      if (added) {
        members[g].push_back(sequences.size());
        sequences.push_back(it->first);
        requests_of.push_back(0);
      }
      sequence_of[g].push_back(it->second);
      ++requests_of[it->second];
    }
  }
  std::vector<Group> plan = plan_groups(sequences, members, options.share_prefix);
  // Longest packed row first, so each batch pads as little as possible.
  std::stable_sort(plan.begin(), plan.end(), [&](const Group& a, const Group& b) {
    return packed_length(sequences, a) > packed_length(sequences, b);
  });

  LoglikelihoodWork local_work;
  LoglikelihoodWork& counted = work ? *work : local_work;
  std::vector<PackedBatch> packed;
  const auto batch = static_cast<std::size_t>(options.batch);
  for (std::size_t start = 0; start < plan.size(); start += batch) {
    std::vector<const Group*> selected;
    for (std::size_t i = start; i < std::min(plan.size(), start + batch); ++i) {
      selected.push_back(&plan[i]);
    }
    packed.push_back(pack(sequences, selected, model.frame().device(), counted));
  }
  std::vector<model::TokenBatch> inputs;
  for (const PackedBatch& p : packed) inputs.push_back(p.input);
  std::vector<ContinuationScore> sequence_scores;
  for (const Sequence& s : sequences) sequence_scores.push_back({0, true, s.scored});
  model.run(
      inputs,
      [&](std::size_t b, const torch::Tensor& hidden) {
        add_scores(model.frame(), packed[b], hidden, sequence_scores);
      },
      options.progress_label);
  std::vector<std::vector<ContinuationScore>> scores(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const std::size_t s : sequence_of[g]) scores[g].push_back(sequence_scores[s]);
  }
  return scores;
}

}  // namespace claw::eval

// What recovery fine-tuning trains on: token sequences with the targets that carry loss, and
// exactly D of those targets taken from them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace claw::recover {

struct TrainingSequence {
  std::vector<std::int32_t> tokens;
  // One flag per target (tokens[t + 1] predicted from tokens[..t]): whether it carries loss.
  std::vector<std::uint8_t> scored;
  std::int64_t scored_count() const;
};

// The sequences of `name`, each at most `seq_len` tokens:
//   alpaca | alpaca:train | alpaca:test   each record alone in the Alpaca template, BOS first;
//        the loss is on the response unless `prompt_loss` (records longer than seq_len are cut)
//   jsonl:PATH   one JSON object per line, {"prompt", "completion"} (loss on the completion
//        unless `prompt_loss`) or {"text"}; a malformed line is an error naming it
//   any corpus load_corpus knows (wikitext2:valid, tinystories:train, text:PATH, ...): its
//        documents, BOS first, packed end to end into seq_len-token sequences, every target
//        scored
std::vector<TrainingSequence> training_sequences(const std::string& name,
                                                 const text::Tokenizer& tokenizer,
                                                 std::int64_t seq_len, bool prompt_loss);

// The sequences, shuffled by `seed` and repeated for up to `epochs` passes, taken in order
// until exactly `tokens` scored targets: the last one is cut short. An error, saying how many
// there are, when the data holds fewer.
std::vector<TrainingSequence> take_scored_tokens(const std::vector<TrainingSequence>& sequences,
                                                 std::int64_t tokens, std::int64_t epochs,
                                                 std::uint64_t seed, const std::string& name);

}  // namespace claw::recover

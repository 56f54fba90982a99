#include "text/bpe.h"

#include "core/error.h"
#include "text/merge_pairs.h"

namespace claw::text {

BpeModel::BpeModel(std::vector<std::string> token_bytes, std::vector<bool> unused,
                   const std::vector<MergeRule>& merges, bool ignore_merges,
                   const std::string& source)
    : token_bytes_(std::move(token_bytes)),
      unused_(std::move(unused)),
      ignore_merges_(ignore_merges) {
  CLAW_CHECK(unused_.size() == token_bytes_.size(), "BPE vocabulary and its gaps disagree in size");
  ids_.reserve(token_bytes_.size());
  for (std::size_t id = 0; id < token_bytes_.size(); ++id) {
    if (unused_[id]) continue;
    const bool inserted = ids_.emplace(token_bytes_[id], static_cast<std::int32_t>(id)).second;
    CLAW_CHECK(inserted, source, ": token ", id, " repeats the bytes of token ",
               ids_.at(token_bytes_[id]));
  }
  for (int byte = 0; byte < 256; ++byte) {
    const char single = static_cast<char>(byte);
    const std::optional<std::int32_t> id = find(std::string_view(&single, 1));
    CLAW_CHECK(id.has_value(), source, ": the vocabulary has no token for the byte ", byte,
               "; byte-level BPE needs all 256");
    byte_ids_[byte] = *id;
  }
  rules_.reserve(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const MergeRule& rule = merges[rank];
    // A repeated rule keeps its first (best) rank, as in HF tokenizers.
    rules_.emplace(pair_key(rule.left, rule.right),
                   Rule{static_cast<std::int32_t>(rank), rule.merged});
  }
}

std::optional<std::int32_t> BpeModel::find(std::string_view bytes) const {
  const auto it = ids_.find(bytes);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

void BpeModel::encode_word(std::string_view word, std::vector<std::int32_t>& ids) const {
  if (word.empty()) return;
  if (word.size() == 1) {
    ids.push_back(byte_ids_[static_cast<unsigned char>(word[0])]);
    return;
  }
  if (ignore_merges_) {
    if (const std::optional<std::int32_t> id = find(word)) {
      ids.push_back(*id);
      return;
    }
  }

  std::vector<std::int32_t> symbols(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    symbols[i] = byte_ids_[static_cast<unsigned char>(word[i])];
  }
  merge_pairs(symbols, [this](std::int32_t left, std::int32_t right) -> std::optional<PairMerge> {
    const auto it = rules_.find(pair_key(left, right));
    if (it == rules_.end()) return std::nullopt;
    return PairMerge{static_cast<double>(it->second.rank), it->second.merged};
  });
  ids.insert(ids.end(), symbols.begin(), symbols.end());
}

}  // namespace claw::text

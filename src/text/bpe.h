// Byte-pair encoding over raw bytes: a vocabulary of byte strings and ranked merge rules, applied
// to one pre-tokenized word at a time, lowest rank first and leftmost first among equals (as HF
// tokenizers' BPE model does).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace claw::text {

class BpeModel {
 public:
  // Merging `left` and `right` gives `merged`; rules are given in rank order, best first.
  struct MergeRule {
    std::int32_t left, right, merged;
  };

  // token_bytes[id] holds the bytes of token `id`; ids the vocabulary skips hold nothing and
  // appear in `unused`. Every single byte must be a token. `ignore_merges` (Llama-3) emits a word
  // that is itself a token as that token, without merging. Errors name `source`.
  BpeModel(std::vector<std::string> token_bytes, std::vector<bool> unused,
           const std::vector<MergeRule>& merges, bool ignore_merges, const std::string& source);
  BpeModel(BpeModel&&) = default;
  BpeModel& operator=(BpeModel&&) = default;
  // Copying would leave the lookup table pointing into the source's strings.
  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Appends the tokens of `word` to `ids`.
  void encode_word(std::string_view word, std::vector<std::int32_t>& ids) const;

  std::optional<std::int32_t> find(std::string_view bytes) const;
  bool contains(std::int32_t id) const {
    return id >= 0 && id < size() && !unused_[static_cast<std::size_t>(id)];
  }
  const std::string& bytes_of(std::int32_t id) const {
    return token_bytes_[static_cast<std::size_t>(id)];
  }
  std::int32_t size() const { return static_cast<std::int32_t>(token_bytes_.size()); }

 private:
  struct Rule {
    std::int32_t rank, merged;
  };
  static std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
           static_cast<std::uint32_t>(right);
  }

  std::vector<std::string> token_bytes_;
  std::vector<bool> unused_;
  std::unordered_map<std::string_view, std::int32_t> ids_;  // views into token_bytes_
  std::unordered_map<std::uint64_t, Rule> rules_;
  std::array<std::int32_t, 256> byte_ids_{};
  bool ignore_merges_ = false;
};

}  // namespace claw::text

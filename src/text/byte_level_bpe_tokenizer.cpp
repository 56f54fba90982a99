#include "text/byte_level_bpe_tokenizer.h"

#include <algorithm>

#include "core/error.h"

namespace claw::text {

ByteLevelBpeTokenizer::ByteLevelBpeTokenizer(Parts parts) : parts_(std::move(parts)) {
  std::int32_t size = parts_.model.size();
  for (const AddedToken& token : parts_.added_tokens.tokens()) size = std::max(size, token.id + 1);
  texts_.assign(static_cast<std::size_t>(size), nullptr);
  for (std::int32_t id = 0; id < parts_.model.size(); ++id) {
    if (parts_.model.contains(id)) texts_[id] = &parts_.model.bytes_of(id);
  }
  for (const AddedToken& token : parts_.added_tokens.tokens()) texts_[token.id] = &token.content;
}

std::vector<std::int32_t> ByteLevelBpeTokenizer::encode(std::string_view text,
                                                        const EncodeOptions& options) const {
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() / 3);
  if (options.add_bos && parts_.bos) ids.push_back(*parts_.bos);
  std::size_t done = 0;
  while (const auto match = parts_.added_tokens.find(text, done, options.parse_special)) {
    encode_plain(text.substr(done, match->begin - done), ids);
    ids.push_back(match->token->id);
    done = match->end;
  }
  encode_plain(text.substr(done), ids);
  return ids;
}

void ByteLevelBpeTokenizer::encode_plain(std::string_view text,
                                         std::vector<std::int32_t>& ids) const {
  if (text.empty()) return;
  const auto encode_words = [&](std::string_view normalized) {
    parts_.pre_tokenizer.for_each_piece(
        normalized, [&](std::string_view word) { parts_.model.encode_word(word, ids); });
  };
  if (parts_.normalizer.is_identity()) {
    encode_words(text);
  } else {
    encode_words(parts_.normalizer.apply(text));
  }
}

std::string ByteLevelBpeTokenizer::decode_token(std::int32_t previous, std::int32_t token) const {
  CLAW_CHECK(token >= 0 && token < vocab_size() && texts_[token] != nullptr, "token id ", token,
             " is not in the vocabulary of ", vocab_size());
  return *texts_[token];
}

}  // namespace claw::text

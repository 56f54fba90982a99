// A 10 MB single line through both BPE flavours: many words, one giant word, and one giant run of
// whitespace (the pre-tokenizer regex's worst case) all encode in bounded time and memory and
// decode back exactly.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_support.h"

namespace {

constexpr std::size_t kTenMegabytes = 10 << 20;

struct Flavour {
  const char* tokenizer;
  // What decoding puts before the text: SentencePiece's dummy-prefix space survives decoding
  // unless a BOS precedes it.
  const char* decoded_prefix;
  // Byte-level BPE splits words before merging, so no token crosses a word boundary;
  // SentencePiece merges across them (".▁" is a piece).
  bool splits_words;
};

class LargeInput : public ::testing::TestWithParam<Flavour> {
 protected:
  const claw::text::Tokenizer& tokenizer() {
    return claw::testing::shared_tokenizer(GetParam().tokenizer);
  }

  static std::string repeat(const std::string& unit, std::size_t bytes) {
    std::string text;
    text.reserve(bytes + unit.size());
    while (text.size() < bytes) text += unit;
    return text;
  }
};

TEST_P(LargeInput, ManyWordsRoundTrip) {
  const std::string unit = " The quick brown fox jumps over the lazy dog.";
  const std::string text = repeat(unit, kTenMegabytes);
  const std::vector<std::int32_t> ids = tokenizer().encode(text, {});
  EXPECT_EQ(tokenizer().decode(ids), GetParam().decoded_prefix + text);
  if (!GetParam().splits_words) return;
  // The unit starts with a word's leading space, so the ids must be the unit's ids repeated.
  const std::vector<std::int32_t> unit_ids = tokenizer().encode(unit, {});
  ASSERT_EQ(ids.size(), unit_ids.size() * (text.size() / unit.size()));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ASSERT_EQ(ids[i], unit_ids[i % unit_ids.size()]) << "at token " << i;
  }
}

TEST_P(LargeInput, OneGiantWordAndOneGiantSpaceRunRoundTrip) {
  for (const std::string unit : {"a", " ", "\xe6\x88\x91"}) {  // 我
    const std::string text = repeat(unit, kTenMegabytes);
    const std::vector<std::int32_t> ids = tokenizer().encode(text, {});
    EXPECT_LT(ids.size(), text.size() / 2) << "BPE merged too little of '" << unit << "'";
    EXPECT_EQ(tokenizer().decode(ids), GetParam().decoded_prefix + text) << "'" << unit << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(ByteLevelAndSentencePiece, LargeInput,
                         ::testing::Values(Flavour{"tokenizers/qwen/tokenizer.json", "", true},
                                           Flavour{"tokenizers/llama2c/tokenizer.bin", " ",
                                                   false}));

}  // namespace

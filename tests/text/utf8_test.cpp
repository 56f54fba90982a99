// UTF-8 validation against the well-formed byte sequences table of the Unicode standard (§3.9),
// and the byte-level alphabet against GPT-2's published mapping.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "text/byte_level.h"
#include "text/normalizer.h"
#include "text/utf8.h"

namespace {

namespace utf8 = claw::text::utf8;

TEST(Utf8, AcceptsWellFormedSequences) {
  EXPECT_EQ(utf8::sequence_length("a", 0), 1u);
  EXPECT_EQ(utf8::sequence_length("\xc3\xa9", 0), 2u);          // é
  EXPECT_EQ(utf8::sequence_length("\xe2\x82\xac", 0), 3u);      // €
  EXPECT_EQ(utf8::sequence_length("\xf0\x9f\xa6\x99", 0), 4u);  // 🦙
  EXPECT_EQ(utf8::sequence_length("\xf4\x8f\xbf\xbf", 0), 4u);  // U+10FFFF
  EXPECT_EQ(utf8::decode("\xf0\x9f\xa6\x99", 0, 4), U'\U0001F999');
}

TEST(Utf8, RejectsIllFormedSequences) {
  for (const char* bad : {"\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff",
                          "\xc3", "\xe2\x82", "\xc3(", "\xe2\x28\xa1"}) {
    EXPECT_EQ(utf8::sequence_length(bad, 0), 0u) << "bytes " << ::testing::PrintToString(bad);
  }
}

TEST(Utf8, AppendEncodesEveryLength) {
  std::string out;
  for (char32_t c : {U'a', U'\u00e9', U'\u20ac', U'\U0001F999'}) utf8::append(out, c);
  EXPECT_EQ(out, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\xa6\x99");
}

TEST(ByteLevelAlphabet, MatchesGpt2) {
  EXPECT_EQ(claw::text::byte_level_char(' '), U'\u0120');   // Ġ
  EXPECT_EQ(claw::text::byte_level_char('\n'), U'\u010a');  // Ċ
  EXPECT_EQ(claw::text::byte_level_char('A'), U'A');
  EXPECT_EQ(claw::text::byte_level_char(0xAD), U'\u0143');  // the last of the 68 moved bytes
  std::set<char32_t> seen;
  std::string all;
  for (int byte = 0; byte < 256; ++byte) {
    seen.insert(claw::text::byte_level_char(static_cast<unsigned char>(byte)));
    all += static_cast<char>(byte);
  }
  EXPECT_EQ(seen.size(), 256u);
  EXPECT_EQ(claw::text::byte_level_decode(claw::text::byte_level_encode(all)), all);
  EXPECT_FALSE(claw::text::byte_level_decode("\xe2\x82\xac").has_value());  // € is not in it
}

TEST(Normalizer, ComposesValidTextAndKeepsInvalidBytes) {
  const claw::text::Normalizer nfc({claw::text::Normalizer::Form::kNfc});
  EXPECT_EQ(nfc.apply("e\xcc\x81"), "\xc3\xa9");
  EXPECT_EQ(nfc.apply("e\xcc\x81\xff"
                      "e\xcc\x81"),
            "\xc3\xa9\xff\xc3\xa9");
  const claw::text::Normalizer nfd({claw::text::Normalizer::Form::kNfd});
  EXPECT_EQ(nfd.apply("\xc3\xa9"), "e\xcc\x81");
  const claw::text::Normalizer nfkc({claw::text::Normalizer::Form::kNfkc});
  EXPECT_EQ(nfkc.apply("\xef\xac\x81"), "fi");  // the ﬁ ligature
}

}  // namespace

// Byte-level BPE on a tiny hand-written tokenizer.json whose every id is known: merge order, both
// merge forms, ignore_merges, added tokens, BOS/EOS, normalization, invalid UTF-8, and the
// refusal of what claw does not implement.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "support/test_support.h"
#include "text/byte_level.h"
#include "text/load_tokenizer.h"

namespace {

using claw::Json;
using claw::testing::ScratchDir;
using claw::testing::write_bytes;
using claw::text::byte_level_encode;
using Ids = std::vector<std::int32_t>;

// Ids 0-255 are the single bytes, so 'a' is 97; then the merged tokens below, then added tokens.
constexpr std::int32_t kAb = 256, kAbc = 257, kBc = 258, kSpaceA = 259, kXyz = 260;
constexpr std::int32_t kEnd = 261, kThink = 262, kPad = 263;

Json tiny_tokenizer(Json merges) {
  Json vocab = Json::object();
  for (int byte = 0; byte < 256; ++byte)
    vocab[byte_level_encode(std::string(1, char(byte)))] = byte;
  std::int32_t id = 256;
  for (const char* token : {"ab", "abc", "bc", " a", "xyz"}) vocab[byte_level_encode(token)] = id++;
  const Json qwen_split = {
      {"type", "Split"},
      {"pattern",
       {{"Regex",
         R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
      {"behavior", "Isolated"},
      {"invert", false}};
  const Json byte_level = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens",
           {{{"id", kEnd}, {"content", "<|end|>"}, {"special", true}},
            {{"id", kThink}, {"content", "<think>"}, {"special", false}},
            {{"id", kPad}, {"content", "<pad>"}, {"lstrip", true}, {"rstrip", true}}}},
          {"normalizer", {{"type", "NFC"}}},
          {"pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", {qwen_split, byte_level}}}},
          {"post_processor", byte_level},
          {"decoder", byte_level},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"ignore_merges", false},
            {"vocab", vocab},
            {"merges", merges}}}};
}

const Json kMerges = {"a b", "ab c", "Ġ a"};

class ByteLevelBpe : public ::testing::Test {
 protected:
  std::unique_ptr<claw::text::Tokenizer> load(const Json& json, const Json& config = nullptr) {
    write_bytes(dir_ / "tokenizer.json", json.dump());
    if (!config.is_null()) write_bytes(dir_ / "tokenizer_config.json", config.dump());
    return claw::text::load_tokenizer(dir_ / "tokenizer.json");
  }

  // Loading `json` fails with a message that contains `expected`.
  void expect_refused(const Json& json, const std::string& expected) {
    try {
      load(json);
      ADD_FAILURE() << "loaded without error; expected: " << expected;
    } catch (const claw::Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }

  ScratchDir dir_;
};

TEST_F(ByteLevelBpe, MergesApplyLowestRankFirst) {
  const auto tok = load(tiny_tokenizer(kMerges));
  EXPECT_EQ(tok->encode("abc", {}), (Ids{kAbc}));
  EXPECT_EQ(tok->encode("abc a", {}), (Ids{kAbc, kSpaceA}));
  // With "b c" ranked first, "abc" becomes a + bc, and no rule joins those.
  const auto other = load(tiny_tokenizer({"b c", "a b", "ab c"}));
  EXPECT_EQ(other->encode("abc", {}), (Ids{'a', kBc}));
}

TEST_F(ByteLevelBpe, BothMergeFormsGiveTheSameIds) {
  const auto pairs = load(tiny_tokenizer(Json::parse(R"([["a", "b"], ["ab", "c"], ["Ġ", "a"]])")));
  EXPECT_EQ(pairs->encode("abc a ab", {}), (Ids{kAbc, kSpaceA, ' ', kAb}));
}

TEST_F(ByteLevelBpe, IgnoreMergesTakesWholeWordsFromTheVocabulary) {
  Json json = tiny_tokenizer(kMerges);
  EXPECT_EQ(load(json)->encode("xyz", {}), (Ids{'x', 'y', 'z'}));  // no merge reaches "xyz"
  json["model"]["ignore_merges"] = true;
  EXPECT_EQ(load(json)->encode("xyz", {}), (Ids{kXyz}));
}

TEST_F(ByteLevelBpe, SpecialTokensAreTextUnlessAskedNonSpecialOnesAlwaysMatch) {
  const auto tok = load(tiny_tokenizer(kMerges));
  const Ids plain = tok->encode("x<|end|>", {});
  EXPECT_EQ(std::count(plain.begin(), plain.end(), kEnd), 0);
  EXPECT_EQ(tok->decode(plain), "x<|end|>");
  EXPECT_EQ(tok->encode("x<|end|>", {false, true}), (Ids{'x', kEnd}));
  EXPECT_EQ(tok->encode("x<think>", {}), (Ids{'x', kThink}));
  // lstrip and rstrip absorb the whitespace around the token.
  EXPECT_EQ(tok->encode("x  <pad>\t y", {}), (Ids{'x', kPad, 'y'}));
  EXPECT_EQ(tok->decode({kEnd, kThink}), "<|end|><think>");
}

TEST_F(ByteLevelBpe, BosAndEosComeFromTheConfigOrTheTemplate) {
  Json json = tiny_tokenizer(kMerges);
  const auto bare = load(json);
  EXPECT_FALSE(bare->bos_id().has_value());
  EXPECT_EQ(bare->encode("ab", {true}), (Ids{kAb}));  // no BOS to add
  EXPECT_FALSE(bare->adds_bos_by_default());

  json["post_processor"] = {{"type", "TemplateProcessing"},
                            {"single",
                             {{{"SpecialToken", {{"id", "<|end|>"}, {"type_id", 0}}}},
                              {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}}};
  const auto templated = load(json);
  EXPECT_EQ(templated->bos_id(), kEnd);
  EXPECT_EQ(templated->encode("ab", {true}), (Ids{kEnd, kAb}));
  EXPECT_EQ(templated->encode("", {true}), (Ids{kEnd}));
  EXPECT_TRUE(templated->adds_bos_by_default());  // as HF's add_special_tokens=True
  // A config's add_bos_token overrides the template, as transformers rebuilds it.
  EXPECT_FALSE(load(json, {{"add_bos_token", false}})->adds_bos_by_default());

  const auto configured = load(tiny_tokenizer(kMerges),
                               {{"bos_token", "<think>"}, {"eos_token", {{"content", "<|end|>"}}}});
  EXPECT_EQ(configured->bos_id(), kThink);
  EXPECT_EQ(configured->eos_id(), kEnd);
  EXPECT_FALSE(configured->adds_bos_by_default());  // a BOS the template does not add
}

TEST_F(ByteLevelBpe, NormalizesToNfcBeforeEncoding) {
  const auto tok = load(tiny_tokenizer(kMerges));
  // "e" + COMBINING ACUTE ACCENT composes to U+00E9, bytes C3 A9.
  EXPECT_EQ(tok->encode("e\xcc\x81", {}), (Ids{0xC3, 0xA9}));
}

TEST_F(ByteLevelBpe, EncodesAnyBytesAndDecodesThemBack) {
  const auto tok = load(tiny_tokenizer(kMerges));
  EXPECT_TRUE(tok->encode("", {}).empty());
  for (const std::string& text : {std::string("ab\xff"
                                              "c"),
                                  std::string("\xc3"), std::string("\xc3\xa9\x80 abc\xed\xa0\x80"),
                                  std::string("\0 a\0", 4)}) {
    EXPECT_EQ(tok->decode(tok->encode(text, {})), text);
  }
}

TEST_F(ByteLevelBpe, DecodingAnUnknownIdIsAnError) {
  const auto tok = load(tiny_tokenizer(kMerges));
  EXPECT_EQ(tok->vocab_size(), kPad + 1);
  EXPECT_THROW(tok->decode({kPad + 1}), claw::Error);
  EXPECT_THROW(tok->decode({-1}), claw::Error);
}

TEST_F(ByteLevelBpe, RefusesWhatItDoesNotImplement) {
  const Json good = tiny_tokenizer(kMerges);
  const auto with = [&](const Json::json_pointer& at, const Json& value) {
    Json json = good;
    json[at] = value;
    return json;
  };
  Json no_model = good;
  no_model.erase("model");
  expect_refused(no_model, "missing the 'model' section");
  expect_refused(with("/model/merges"_json_pointer, {"a zz"}), "merge 0 names 'zz'");
  expect_refused(with("/model/merges"_json_pointer, {"x y"}), "merge 0 names 'xy'");
  expect_refused(with("/model/merges"_json_pointer, {"abc"}), "two tokens separated by one space");
  expect_refused(with("/model/type"_json_pointer, "Unigram"), "model type 'Unigram'");
  expect_refused(with("/model/dropout"_json_pointer, 0.1), "dropout");
  expect_refused(with("/model/byte_fallback"_json_pointer, true), "byte_fallback");
  expect_refused(with("/model/vocab/a"_json_pointer, 98), "gives id 98 to two tokens");
  expect_refused(with("/normalizer"_json_pointer, {{"type", "Lowercase"}}),
                 "normalizer 'Lowercase' is not supported");
  expect_refused(with("/pre_tokenizer"_json_pointer, {{"type", "Whitespace"}}),
                 "pre_tokenizer 'Whitespace' is not supported");
  expect_refused(with("/pre_tokenizer/pretokenizers/1"_json_pointer,
                      good["pre_tokenizer"]["pretokenizers"][0]),
                 "no ByteLevel step");
  expect_refused(with("/pre_tokenizer/pretokenizers/0/behavior"_json_pointer, "Removed"),
                 "Split behavior 'Removed'");
  expect_refused(with("/pre_tokenizer/pretokenizers/0/pattern/Regex"_json_pointer, "(unclosed"),
                 "cannot compile the regex");
  expect_refused(with("/decoder"_json_pointer, {{"type", "WordPiece"}}), "decoder 'WordPiece'");
  expect_refused(with("/added_tokens/0/single_word"_json_pointer, true), "single_word");
  expect_refused(with("/added_tokens/0/id"_json_pointer, 100000), "outside [0, 264)");
  expect_refused(
      with("/post_processor"_json_pointer,
           {{"type", "TemplateProcessing"},
            {"single", {{{"Sequence", {{"id", "A"}}}}, {{"SpecialToken", {{"id", "<|end|>"}}}}}}}),
      "at most one special token before the text");
}

TEST_F(ByteLevelBpe, CorruptedFilesAreRefusedWithTheirName) {
  const std::string text = tiny_tokenizer(kMerges).dump();
  write_bytes(dir_ / "tokenizer.json", text.substr(0, text.size() / 2));
  try {
    claw::text::load_tokenizer(dir_ / "tokenizer.json");
    ADD_FAILURE() << "a truncated tokenizer.json loaded";
  } catch (const claw::Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
  }
}

}  // namespace

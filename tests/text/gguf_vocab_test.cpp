// Tokenizers carried in GGUF metadata: the tokenizer read back from a GGUF file encodes exactly
// as the file it was exported from.
#include "text/gguf_vocab.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/gguf.h"
#include "support/test_support.h"
#include "text/load_tokenizer.h"

namespace {

namespace fs = std::filesystem;
using claw::testing::data_path;
using claw::testing::ScratchDir;
using claw::text::EncodeOptions;
using claw::text::Tokenizer;

// A GGUF file holding only the tokenizer keys of `tokenizer`, for a model of `vocab` tokens.
fs::path tokenizer_gguf(const ScratchDir& dir, const std::string& tokenizer, std::int64_t vocab,
                        std::optional<std::int64_t> bos) {
  const fs::path path = dir / "tokenizer.gguf";
  claw::io::write_gguf(path, claw::text::gguf_tokenizer_metadata(data_path(tokenizer), vocab, bos),
                       {});
  return path;
}

const std::vector<std::string>& hard_strings() {
  static const std::vector<std::string> strings = {
      "",
      " ",
      "Hello world",
      "  leading and   inner    spaces   ",
      "\n\n\nnewlines\r\n\tand tabs\n \n",
      "1234567890 3.14159 1,000,000 2026-12-05",
      "中文字符和日本語のテキスト, 한국어",
      "emoji 😀🎉👍🏽 and ZWJ 👨‍👩‍👧",
      "<|endoftext|><|im_start|>user\nhi<|im_end|> <|begin_of_text|>",
      "<s> </s> <unk> <0x0A>",
      "don't I'LL we've 'S",
      "Ünïcödé ﬁ ligatures and combining e\xcc\x81",
      "\xff\xfe invalid bytes \x80",
  };
  return strings;
}

void expect_same_tokenizer(const Tokenizer& original, const Tokenizer& loaded) {
  EXPECT_EQ(loaded.vocab_size(), original.vocab_size());
  EXPECT_EQ(loaded.bos_id(), original.bos_id());
  EXPECT_EQ(loaded.eos_id(), original.eos_id());
  EXPECT_EQ(loaded.adds_bos_by_default(), original.adds_bos_by_default());
  std::vector<std::string> texts = hard_strings();
  texts.push_back(claw::testing::read_bytes(data_path("wikitext-2-raw/wiki.test.raw")));
  for (const std::string& text : texts) {
    for (const bool special : {false, true}) {
      const EncodeOptions options{special, special};
      ASSERT_EQ(loaded.encode(text, options), original.encode(text, options))
          << text.substr(0, 80) << " special " << special;
    }
  }
  for (std::int32_t id = 0; id < original.vocab_size(); ++id) {
    ASSERT_EQ(loaded.decode_token(-1, id), original.decode_token(-1, id)) << id;
  }
}

TEST(GgufVocab, QwenTokenizerRoundTripsWithPadding) {
  const ScratchDir dir;
  const fs::path path = tokenizer_gguf(dir, "tokenizers/qwen/tokenizer.json", 151936, 151643);
  const claw::io::GgufFile file(path);
  EXPECT_EQ(file.find("tokenizer.ggml.pre")->strings.front(), "qwen2");
  const claw::io::GgufValue& tokens = *file.find("tokenizer.ggml.tokens");
  const claw::io::GgufValue& types = *file.find("tokenizer.ggml.token_type");
  ASSERT_EQ(tokens.size(), 151936u);
  EXPECT_EQ(tokens.strings[151643], "<|endoftext|>");
  EXPECT_EQ(types.ints[151643], 3);  // control
  EXPECT_EQ(tokens.strings[151935], "[PAD151935]");
  EXPECT_EQ(types.ints[151935], 5);  // unused
  EXPECT_EQ(types.ints[220], 1);     // "Ġ", normal
  EXPECT_EQ(file.find("tokenizer.ggml.merges")->strings.front(), "Ġ Ġ");
  // Qwen's tokenizer has no BOS; llama.cpp is given the config's, claw is told it has none.
  EXPECT_EQ(file.find("tokenizer.ggml.bos_token_id")->ints.front(), 151643);
  EXPECT_EQ(file.find("tokenizer.ggml.add_bos_token")->ints.front(), 0);
  expect_same_tokenizer(claw::testing::shared_tokenizer("tokenizers/qwen/tokenizer.json"),
                        *claw::text::load_tokenizer(path));
}

TEST(GgufVocab, Llama3TokenizerRoundTrips) {
  const ScratchDir dir;
  const fs::path path = tokenizer_gguf(dir, "tokenizers/llama3/tokenizer.json", 128256, 128000);
  const claw::io::GgufFile file(path);
  EXPECT_EQ(file.find("tokenizer.ggml.pre")->strings.front(), "llama-bpe");
  EXPECT_EQ(file.find("tokenizer.ggml.bos_token_id")->ints.front(), 128000);
  // add_bos_token states what claw's tokenizer does with this file (its post-processor adds no
  // BOS).
  const Tokenizer& original = claw::testing::shared_tokenizer("tokenizers/llama3/tokenizer.json");
  EXPECT_EQ(file.find("tokenizer.ggml.add_bos_token")->ints.front(),
            original.adds_bos_by_default() ? 1 : 0);
  expect_same_tokenizer(original, *claw::text::load_tokenizer(path));
}

TEST(GgufVocab, Llama2cVocabularyRoundTripsAsSentencePiece) {
  const ScratchDir dir;
  const fs::path path = tokenizer_gguf(dir, "tokenizers/llama2c/tokenizer.bin", 32000, 1);
  const claw::io::GgufFile file(path);
  EXPECT_EQ(file.find("tokenizer.ggml.model")->strings.front(), "llama");
  const claw::io::GgufValue& types = *file.find("tokenizer.ggml.token_type");
  EXPECT_EQ(types.ints[0], 2);  // <unk>
  EXPECT_EQ(types.ints[1], 3);  // <s>
  EXPECT_EQ(types.ints[2], 3);  // </s>
  EXPECT_EQ(types.ints[3], 6);  // <0x00>
  EXPECT_EQ(file.find("tokenizer.ggml.tokens")->strings[3], "<0x00>");
  EXPECT_EQ(file.find("tokenizer.ggml.add_bos_token")->ints.front(), 1);
  expect_same_tokenizer(claw::testing::shared_tokenizer("tokenizers/llama2c/tokenizer.bin"),
                        *claw::text::load_tokenizer(path));
}

TEST(GgufVocab, RefusesATokenizerLargerThanTheModelAndAnUnknownPreTokenizer) {
  const ScratchDir dir;
  claw::testing::expect_error_containing(
      [&] { tokenizer_gguf(dir, "tokenizers/qwen/tokenizer.json", 1000, std::nullopt); },
      "tokens but the model's vocabulary only 1000");
  claw::io::write_gguf(dir / "p.gguf",
                       {{"tokenizer.ggml.model", claw::io::GgufValue::string("gpt2")},
                        {"tokenizer.ggml.pre", claw::io::GgufValue::string("deepseek-llm")},
                        {"tokenizer.ggml.tokens", claw::io::GgufValue::string_array({"a"})}},
                       {});
  claw::testing::expect_error_containing([&] { claw::text::load_tokenizer(dir / "p.gguf"); },
                                         "tokenizer.ggml.pre 'deepseek-llm' is not");
}

}  // namespace

// claw tokenize through the real executable: stdin to ids, ids back to text, the flags, and errors.
#include <gtest/gtest.h>

#include <string>

#include "support/test_support.h"

namespace {

using claw::testing::data_path;
using claw::testing::run_claw;

std::string tokenizer_flag(const std::string& name) {
  return "--tokenizer " + data_path("tokenizers/" + name).string();
}

TEST(Tokenize, PrintsTheIdsOfStdinOnOneLine) {
  // The same ids as llama.cpp's vectors for "Hello world" (ggml-vocab-*.gguf.out, case 12).
  const auto qwen = run_claw("tokenize " + tokenizer_flag("qwen/tokenizer.json"), "Hello world");
  EXPECT_EQ(qwen.exit_code, 0) << qwen.err;
  EXPECT_EQ(qwen.out, "9707 1879\n");
  const auto llama3 =
      run_claw("tokenize --bos " + tokenizer_flag("llama3/tokenizer.json"), "Hello world");
  EXPECT_EQ(llama3.out, "128000 9906 1917\n");
}

TEST(Tokenize, SpecialTokenTextIsPlainTextUnlessAsked) {
  const std::string qwen = tokenizer_flag("qwen/tokenizer.json");
  EXPECT_EQ(run_claw("tokenize --special " + qwen, "<|endoftext|>").out, "151643\n");
  const auto plain = run_claw("tokenize " + qwen, "<|endoftext|>");
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find("151643"), std::string::npos) << plain.out;
  // llama2.c's control tokens go by their SentencePiece names.
  EXPECT_EQ(run_claw("tokenize --special --model stories260K", "<s>").out, "1\n");
}

TEST(Tokenize, DecodePrintsTheTextExactly) {
  const auto decoded =
      run_claw("tokenize --decode " + tokenizer_flag("qwen/tokenizer.json"), "9707 1879\n");
  EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_EQ(decoded.out, "Hello world");
  // The model's own tokenizer is found beside it; llama2.c drops the space after BOS.
  const auto story = run_claw("tokenize --bos --model stories260K", "Once upon a time");
  EXPECT_EQ(story.exit_code, 0) << story.err;
  EXPECT_EQ(run_claw("tokenize --decode --model stories260K", story.out).out, "Once upon a time");
}

TEST(Tokenize, BadInputIsOneClearError) {
  const auto not_an_id = run_claw("tokenize --decode --model stories260K", "1 2 x");
  EXPECT_EQ(not_an_id.exit_code, 1);
  EXPECT_NE(not_an_id.err.find("'x' is not a token id"), std::string::npos) << not_an_id.err;
  const auto out_of_range = run_claw("tokenize --decode --model stories260K", "512");
  EXPECT_NE(out_of_range.err.find("[0, 512)"), std::string::npos) << out_of_range.err;
  const auto neither = run_claw("tokenize");
  EXPECT_NE(neither.err.find("exactly one of --tokenizer"), std::string::npos) << neither.err;
  const auto missing = run_claw("tokenize --tokenizer no/such/tokenizer.json");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("tokenizer.json: tokenizer file not found"), std::string::npos)
      << missing.err;
}

}  // namespace

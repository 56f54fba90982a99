// Tokenizer conformance against llama.cpp's published vectors (../shared/data/tokenizer-tests):
// every case must give exactly the reference ids, and the byte-level tokenizers must decode what
// they encode back to the input.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace {

using claw::testing::data_path;
using claw::testing::read_bytes;
using claw::text::Tokenizer;

struct Case {
  std::string text;
  std::vector<std::int32_t> ids;
};

// The .inp file ends every case with "\n__ggml_vocab_test__\n", and the .out file every case's
// ids with a newline: 46 cases each.
std::vector<Case> read_vectors(const std::string& vocab) {
  const std::string directory = "tokenizer-tests/llama.cpp/ggml-vocab-" + vocab + ".gguf";
  const std::string inputs = read_bytes(data_path(directory + ".inp"));
  const std::string outputs = read_bytes(data_path(directory + ".out"));
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<Case> cases;
  for (std::size_t start = 0;;) {
    const std::size_t end = inputs.find(separator, start);
    if (end == std::string::npos) {
      EXPECT_EQ(start, inputs.size()) << vocab << ": text after the last case";
      break;
    }
    cases.push_back({inputs.substr(start, end - start), {}});
    start = end + separator.size();
  }
  std::istringstream lines(outputs);
  std::string line;
  std::size_t index = 0;
  for (; std::getline(lines, line); ++index) {
    if (index >= cases.size()) break;
    std::istringstream ids(line);
    for (std::int32_t id; ids >> id;) cases[index].ids.push_back(id);
  }
  EXPECT_EQ(index, cases.size()) << vocab << ": .inp and .out disagree on the number of cases";
  return cases;
}

const Tokenizer& tokenizer(const std::string& file) {
  return claw::testing::shared_tokenizer("tokenizers/" + file);
}

void expect_conformance(const std::string& vocab, const std::string& tokenizer_file) {
  const Tokenizer& tok = tokenizer(tokenizer_file);
  const std::vector<Case> cases = read_vectors(vocab);
  ASSERT_EQ(cases.size(), 46u);
  int passed = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::vector<std::int32_t> ids = tok.encode(cases[i].text, {});
    EXPECT_EQ(ids, cases[i].ids) << vocab << " case " << i << ": '" << cases[i].text << "'";
    passed += ids == cases[i].ids;
  }
  EXPECT_EQ(passed, 46) << vocab;
}

void expect_round_trip(const std::string& tokenizer_file, const std::string& text) {
  const Tokenizer& tok = tokenizer(tokenizer_file);
  EXPECT_EQ(tok.decode(tok.encode(text, {})), text) << tokenizer_file;
}

TEST(TokenizerConformance, QwenMatchesLlamaCppVectors) {
  expect_conformance("qwen2", "qwen/tokenizer.json");
}

TEST(TokenizerConformance, Llama3MatchesLlamaCppVectors) {
  expect_conformance("llama-bpe", "llama3/tokenizer.json");
}

// llama2.c's tokenizer.bin holds the same Llama-2 SentencePiece vocabulary and scores that
// llama.cpp's llama-spm vectors were made with; its merges reproduce all of them.
TEST(TokenizerConformance, Llama2cMatchesLlamaSpmVectors) {
  expect_conformance("llama-spm", "llama2c/tokenizer.bin");
}

TEST(TokenizerConformance, ByteLevelDecodeInvertsEncodeOnEveryCase) {
  for (const Case& c : read_vectors("qwen2")) {
    expect_round_trip("qwen/tokenizer.json", c.text);
    expect_round_trip("llama3/tokenizer.json", c.text);
  }
}

TEST(TokenizerConformance, ByteLevelDecodeInvertsEncodeOnWikiText2) {
  const std::string text = read_bytes(data_path("wikitext-2-raw/wiki.test.raw"));
  expect_round_trip("qwen/tokenizer.json", text);
  expect_round_trip("llama3/tokenizer.json", text);
}

}  // namespace

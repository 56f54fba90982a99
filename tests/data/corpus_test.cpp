// The corpora by name: the fixed TinyStories split, WikiText-2 as the file has it, and errors.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "core/error.h"
#include "data/corpus.h"
#include "support/test_support.h"

namespace {

TEST(Corpus, TinyStoriesSplitsIntoFixedTrainAndTest) {
  const claw::data::Corpus all = claw::data::load_corpus("tinystories");
  const claw::data::Corpus train = claw::data::load_corpus("tinystories:train");
  const claw::data::Corpus test = claw::data::load_corpus("tinystories:test");
  ASSERT_EQ(all.documents.size(), 1000u);
  ASSERT_EQ(train.documents.size(), 800u);
  ASSERT_EQ(test.documents.size(), 200u);
  EXPECT_EQ(train.documents.front(), all.documents.front());
  EXPECT_EQ(test.documents.front(), all.documents[800]);
  EXPECT_EQ(test.documents.back(), all.documents.back());
  for (const std::string& story : all.documents) {
    EXPECT_EQ(story.find("<|endoftext|>"), std::string::npos);
    EXPECT_FALSE(std::isspace(static_cast<unsigned char>(story.front())));
    EXPECT_FALSE(std::isspace(static_cast<unsigned char>(story.back())));
  }
  EXPECT_EQ(all.layout, claw::data::TextLayout::kDocuments);
}

TEST(Corpus, WikiTextIsOneTextOfArticles) {
  const claw::data::Corpus wiki = claw::data::load_corpus("wikitext2");
  EXPECT_EQ(wiki.layout, claw::data::TextLayout::kRunningText);
  EXPECT_EQ(wiki.text.size(), 1290590u);  // the file as it is (MANIFEST size)
  ASSERT_GT(wiki.documents.size(), 50u);
  EXPECT_EQ(wiki.documents.front().rfind("= Robert Boulter =", 0), 0u);
  EXPECT_EQ(claw::data::load_corpus("wikitext2:valid").text.size(), 1146846u);
}

TEST(Corpus, PennTreebankJoinsStrippedSentencesWithSpaces) {
  claw::testing::ScratchDir dir;
  // The first lines of Mikolov's ptb.test.txt, in its form: a leading space, " \n" endings.
  claw::testing::write_bytes(dir / "ptb.test.txt",
                             " no it was n't black monday \n"
                             " but while the new york stock exchange did n't fall <unk> \n\n");
  const claw::data::Corpus ptb = claw::data::load_corpus("ptb:" + (dir / "ptb.test.txt").string());
  EXPECT_EQ(ptb.text,
            "no it was n't black monday but while the new york stock exchange did n't fall <unk>");
  EXPECT_EQ(ptb.documents.size(), 2u);
  EXPECT_EQ(ptb.layout, claw::data::TextLayout::kRunningText);
}

TEST(Corpus, BadNamesAndEmptyFilesAreClearErrors) {
  claw::testing::ScratchDir dir;
  claw::testing::write_bytes(dir / "empty.txt", " \n\n");
  const auto expect_error = [](const std::string& name, const std::string& expected) {
    try {
      claw::data::load_corpus(name);
      ADD_FAILURE() << name << " loaded";
    } catch (const claw::Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  expect_error("text:" + (dir / "empty.txt").string(), "empty.txt: holds no text");
  expect_error("text:" + (dir / "missing.txt").string(), "missing.txt: no such file");
  expect_error("wikitext3", "unknown dataset 'wikitext3'");
  expect_error("tinystories:dev", "unknown split 'dev'");
  expect_error("ptb", "ptb:PATH needs the path");
  expect_error("ptb:" + (dir / "empty.txt").string(), "empty.txt: holds no text");
}

}  // namespace

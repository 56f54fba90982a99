// Recovery data: Alpaca carries loss on the response only, and D counts exactly the tokens taken.
#include "recover/training_data.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "data/alpaca.h"
#include "data/corpus.h"
#include "recover/recovery_fixtures.h"
#include "support/test_support.h"

namespace claw::recover {
namespace {

using fixtures::random_sequences;

TEST(TrainingData, AlpacaCarriesLossOnTheResponseOnly) {
  const text::Tokenizer& tokenizer = testing::shared_tokenizer("models/stories260K/tok512.bin");
  const auto responses = training_sequences("alpaca", tokenizer, 4096, false);
  const auto everything = training_sequences("alpaca", tokenizer, 4096, true);
  ASSERT_EQ(responses.size(), 1800u);  // the train split
  const TrainingSequence& first = responses.front();
  EXPECT_EQ(everything.front().scored_count(), static_cast<std::int64_t>(first.tokens.size()) - 1);
  // The scored targets are exactly the response's: a run of zeros over the prompt, then ones.
  const auto first_scored = std::find(first.scored.begin(), first.scored.end(), 1);
  EXPECT_TRUE(std::all_of(first_scored, first.scored.end(), [](auto f) { return f == 1; }));
  const std::size_t prompt_tokens =
      tokenizer
          .encode(data::alpaca_prompt(data::read_alpaca(data::load_corpus("alpaca").source)[0]),
                  {true})
          .size();
  EXPECT_EQ(static_cast<std::size_t>(first_scored - first.scored.begin()), prompt_tokens - 1);
}

TEST(TrainingData, TakesExactlyDTokens) {
  const std::vector<TrainingSequence> data = random_sequences(5, 10, 2);  // 8, 7, 6, 8, 7 scored
  std::int64_t total = 0;
  for (const auto& s : data) total += s.scored_count();
  EXPECT_EQ(total, 36);
  for (const std::int64_t d : {1, 13, 36}) {
    std::int64_t taken = 0;
    for (const auto& s : take_scored_tokens(data, d, 1, 3, "data")) {
      EXPECT_EQ(s.tokens.size(), s.scored.size() + 1);
      taken += s.scored_count();
    }
    EXPECT_EQ(taken, d);
  }
  EXPECT_THROW(take_scored_tokens(data, 37, 1, 3, "data"), Error);
  std::int64_t cycled = 0;
  for (const auto& s : take_scored_tokens(data, 80, 3, 3, "data")) cycled += s.scored_count();
  EXPECT_EQ(cycled, 80);
}

}  // namespace
}  // namespace claw::recover

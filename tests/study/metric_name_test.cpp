#include "study/metric_name.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace claw::study {
namespace {

// Every spelling a store holds reads back to its parts and prints as it was written.
TEST(MetricName, ReadsAndPrintsEverySpellingAStoreHolds) {
  struct Case {
    const char* text;
    MetricKind kind;
    const char* subject;
  };
  for (const Case& c : {Case{"loss/tinystories:test", MetricKind::kLoss, "tinystories:test"},
                        Case{"perplexity/wikitext2", MetricKind::kPerplexity, "wikitext2"},
                        Case{"acc/blimp_anaphor_gender_agreement", MetricKind::kAcc,
                             "blimp_anaphor_gender_agreement"},
                        Case{"acc_norm/piqa", MetricKind::kAccNorm, "piqa"},
                        Case{"accuracy/average", MetricKind::kAccuracy, "average"},
                        Case{"chance/mmlu", MetricKind::kChance, "mmlu"},
                        Case{"fraction_removed/without_embeddings", MetricKind::kFractionRemoved,
                             "without_embeddings"}}) {
    const MetricName name = MetricName::parse(c.text);
    EXPECT_EQ(name.kind, c.kind) << c.text;
    EXPECT_EQ(name.subject, c.subject) << c.text;
    EXPECT_FALSE(name.is_speed());
    EXPECT_EQ(name.text(), c.text);
  }
  const MetricName speed = MetricName::parse("ideal_decode_speedup/b4,p128");
  EXPECT_EQ(speed.kind, MetricKind::kIdealSpeedup);
  EXPECT_EQ(speed.phase, SpeedPhase::kDecode);
  EXPECT_EQ(speed.setting, (SpeedSetting{4, 128}));
  EXPECT_EQ(speed.text(), "ideal_decode_speedup/b4,p128");
  for (const char* text : {"prefill_speedup/b1,p128", "decode_tokens_per_s/b1,p16",
                           "base_prefill_tokens_per_s/b2,p64"}) {
    EXPECT_EQ(MetricName::parse(text).text(), text);
  }
}

TEST(MetricName, RefusesNamesNoReleaseWrote) {
  for (const char* text : {"", "loss", "loss/", "speed/x", "prefill_speedup/b1",
                           "decode_speedup/b1,p2x", "ideal_speedup/b1,p2"}) {
    EXPECT_THROW(MetricName::parse(text), Error) << text;
  }
}

TEST(MetricName, KnowsWhatTheLawsFitAndWhichWayIsBetter) {
  EXPECT_TRUE(MetricName::parse("loss/t").is_law_metric());
  EXPECT_TRUE(MetricName::parse("accuracy/blimp").is_law_metric());
  EXPECT_FALSE(MetricName::parse("acc/piqa").is_law_metric());
  EXPECT_TRUE(MetricName::parse("acc/piqa").is_quality());
  EXPECT_FALSE(MetricName::parse("chance/piqa").is_quality());
  EXPECT_TRUE(MetricName::parse("perplexity/t").lower_is_better());
  EXPECT_FALSE(MetricName::parse("acc_norm/t").lower_is_better());
  EXPECT_EQ(MetricName::parse("acc/piqa").chance(), MetricName::parse("chance/piqa"));
  EXPECT_EQ(quality_kind_named("acc_norm"), MetricKind::kAccNorm);
  EXPECT_THROW(quality_kind_named("chance"), Error);
}

}  // namespace
}  // namespace claw::study

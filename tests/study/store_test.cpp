// The store: an experiment is written once and read back whole, failures are kept apart, and
// merging adds exactly what is missing.
#include <gtest/gtest.h>

#include "core/error.h"
#include "study/store.h"
#include "support/metric_names.h"
#include "support/test_support.h"

namespace claw::study {
namespace {

using claw::testing::operator""_metric;

using claw::testing::ScratchDir;

ExperimentResult result(const std::string& key, const std::string& kind, double ratio,
                        double loss) {
  ExperimentResult r;
  r.key = key;
  r.kind = kind;
  r.label = kind + " " + key;
  r.model = "m";
  r.method = kind == "base" ? "" : "random";
  r.ratio = ratio;
  r.tokens = 1000;
  r.config = {{"evaluation", {{"loss", "x"}}}, {"key", key}};
  r.record = {{"note", "recorded"}};
  r.started = r.finished = utc_now();
  r.seconds = 1.5;
  r.metrics = {{"loss/tiny"_metric, loss, std::nullopt, "protocol L"},
               {"acc/piqa"_metric, 0.5, 0.1, "protocol A"},
               {"fraction_removed/total"_metric, ratio, std::nullopt, "protocol P"}};
  r.timings = {{"evaluate", 1.25}};
  r.artifacts = {{"compressed_model", "models/" + key, "abc"}};
  return r;
}

TEST(Store, RecordsAnExperimentOnceAndReadsItBackWhole) {
  ScratchDir dir;
  Store store(dir / "s.sqlite");
  EXPECT_TRUE(store.record(result("k1", "compressed", 0.5, 3.0)));
  EXPECT_FALSE(store.record(result("k1", "compressed", 0.5, 9.0)));  // already there
  const std::vector<ExperimentResult> all = store.experiments();
  ASSERT_EQ(all.size(), 1u);
  const ExperimentResult& r = all[0];
  EXPECT_EQ(r.key, "k1");
  EXPECT_EQ(r.ratio, 0.5);
  EXPECT_EQ(r.tokens, 1000);
  EXPECT_EQ(r.config["key"], "k1");
  EXPECT_EQ(r.record["note"], "recorded");
  ASSERT_EQ(r.metrics.size(), 3u);
  EXPECT_EQ(r.metric("loss/tiny"_metric)->value, 3.0);  // the first write stands
  EXPECT_FALSE(r.metric("loss/tiny"_metric)->standard_error.has_value());
  EXPECT_EQ(*r.metric("acc/piqa"_metric)->standard_error, 0.1);
  EXPECT_EQ(r.metric("acc/piqa"_metric)->protocol, "protocol A");
  ASSERT_EQ(r.timings.size(), 1u);
  EXPECT_EQ(r.timings[0].second, 1.25);
  ASSERT_EQ(r.artifacts.size(), 1u);
  EXPECT_EQ(r.artifacts[0].path, "models/k1");
}

TEST(Store, FailuresAreKeptButDoNotFinishAnExperiment) {
  ScratchDir dir;
  Store store(dir / "s.sqlite");
  store.record_failure({"k2", "random r=0.5", "compress", "it broke", utc_now()});
  EXPECT_TRUE(store.finished_keys().empty());
  ASSERT_EQ(store.failures().size(), 1u);
  EXPECT_EQ(store.failures()[0].stage, "compress");
  EXPECT_EQ(store.failures()[0].message, "it broke");
}

TEST(Store, MergeAddsWhatIsMissingOnce) {
  ScratchDir dir;
  {
    Store a(dir / "a.sqlite");
    a.record(result("k1", "compressed", 0.5, 3.0));
    a.record(result("k2", "compressed", 0.6, 3.5));
    Store b(dir / "b.sqlite");
    b.record(result("k2", "compressed", 0.6, 3.5));
    b.record(result("k3", "compressed", 0.7, 4.0));
    b.record_failure({"k4", "x", "recover", "nan loss", "2026-01-01T00:00:00Z"});
  }
  Store merged(dir / "m.sqlite");
  EXPECT_EQ(merged.merge_from(dir / "a.sqlite"), 2);
  EXPECT_EQ(merged.merge_from(dir / "b.sqlite"), 1);
  EXPECT_EQ(merged.merge_from(dir / "b.sqlite"), 0);
  EXPECT_EQ(merged.finished_keys(), (std::set<std::string>{"k1", "k2", "k3"}));
  EXPECT_EQ(merged.failures().size(), 1u);
  for (const ExperimentResult& r : merged.experiments()) {
    EXPECT_EQ(r.metrics.size(), 3u) << r.key;
    EXPECT_EQ(r.artifacts.size(), 1u) << r.key;
  }
  EXPECT_THROW(merged.merge_from(dir / "m.sqlite"), Error);
}

TEST(Store, MergeRebasesArtifactPathsOntoItsOwnDirectory) {
  ScratchDir dir;
  Store(dir / "shards" / "3" / "study.sqlite").record(result("k1", "compressed", 0.5, 3.0));
  Store merged(dir / "study.sqlite");
  merged.merge_from(dir / "shards" / "3" / "study.sqlite");
  const std::vector<ExperimentResult> all = merged.experiments();
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].artifacts.size(), 1u);
  EXPECT_EQ(all[0].artifacts[0].path, "shards/3/models/k1");
}

TEST(Store, RefusesAFileThatIsNotAStore) {
  ScratchDir dir;
  claw::testing::write_bytes(dir / "results.csv", "model,task\n");
  EXPECT_FALSE(is_sqlite_file(dir / "results.csv"));
  EXPECT_THROW(Store(dir / "results.csv"), Error);
}

// What `claw study status` finds of a shard whose store another process has just created.
TEST(Store, AnEmptyFileIsAStoreNotYetWritten) {
  ScratchDir dir;
  claw::testing::write_bytes(dir / "study.sqlite", "");
  Store store(dir / "study.sqlite");
  EXPECT_TRUE(store.experiments().empty());
}

}  // namespace
}  // namespace claw::study

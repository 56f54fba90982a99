// Reading experiment results for the law from CSV and JSON Lines, and selecting from them.
#include <gtest/gtest.h>

#include "core/error.h"
#include "laws/results_file.h"
#include "support/test_support.h"

namespace claw::laws {
namespace {

using testing::ScratchDir;
using testing::write_bytes;

constexpr const char* kCsv =
    "model,task,method,ratio,tokens,metric,value,base_value,note\n"
    "qwen,wikitext2,prunenet,0.5,0,loss,4.1,2.9,\"a, b\"\n"
    "qwen,wikitext2,slicegpt,0.5,25000,loss,4.4,2.9,\n"
    "qwen,piqa,prunenet,0.3,0,acc,0.61,0.7,\n";

TEST(ResultsFile, ReadsCsvAndJsonLinesAlike) {
  const ScratchDir scratch;
  write_bytes(scratch / "r.csv", kCsv);
  write_bytes(scratch / "r.jsonl",
              "{\"model\":\"qwen\",\"task\":\"wikitext2\",\"method\":\"prunenet\",\"ratio\":0.5,"
              "\"tokens\":0,\"metric\":\"loss\",\"value\":4.1,\"base_value\":2.9}\n\n");
  const std::vector<Observation> csv = read_results(scratch / "r.csv");
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[1].method, "slicegpt");
  EXPECT_EQ(csv[1].tokens, 25000);
  EXPECT_EQ(csv[1].line, 3);
  EXPECT_EQ(csv[2].metric, "acc");
  const std::vector<Observation> jsonl = read_results(scratch / "r.jsonl");
  ASSERT_EQ(jsonl.size(), 1u);
  EXPECT_EQ(jsonl[0].frontier(), csv[0].frontier());
  EXPECT_EQ(jsonl[0].value, csv[0].value);
  EXPECT_EQ(jsonl[0].base_value, csv[0].base_value);
}

TEST(ResultsFile, SelectsByMetricAndConditions) {
  const ScratchDir scratch;
  write_bytes(scratch / "r.csv", kCsv);
  const std::vector<Observation> all = read_results(scratch / "r.csv");
  EXPECT_EQ(select_observations(all, "loss", {}).size(), 2u);
  EXPECT_EQ(select_observations(all, "loss", {parse_condition("method=slicegpt")}).size(), 1u);
  EXPECT_EQ(select_observations(all, "loss", {parse_condition("tokens=0")}).size(), 1u);
  EXPECT_EQ(select_observations(all, "loss", {parse_condition("ratio=0.50")}).size(), 2u);
  EXPECT_EQ(group_observations(select_observations(all, "loss", {}), "method").size(), 2u);
  EXPECT_THROW(parse_condition("colour=red"), Error);
  EXPECT_THROW(parse_condition("method"), Error);
}

TEST(ResultsFile, NamesTheFileLineAndColumnOfBadInput) {
  const ScratchDir scratch;
  auto fails_with = [&](const std::string& name, const std::string& text,
                        const std::string& message) {
    write_bytes(scratch / name, text);
    try {
      read_results(scratch / name);
      ADD_FAILURE() << "accepted " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  fails_with("a.csv", "model,task,method,ratio,tokens,metric,value\n", "no column 'base_value'");
  fails_with("b.csv",
             "model,task,method,ratio,tokens,metric,value,base_value\nm,t,x,half,0,loss,1,1\n",
             "b.csv:2: column 'ratio' must be a number, got 'half'");
  fails_with("c.jsonl", "{\"model\":\"m\"}\n", "c.jsonl:1: missing column 'task'");
  fails_with("d.txt", "", "results must be .csv or .jsonl");
  fails_with("e.csv",
             "model,task,method,ratio,tokens,metric,value,base_value,chance\n"
             "m,t,x,0.5,0,acc,0.6,0.7,a half\n",
             "e.csv:2: column 'chance' must be a number, got 'a half'");
}

// An accuracy's chance level and L0's standard error are optional, per row as per file.
TEST(ResultsFile, ReadsTheOptionalChanceAndStandardError) {
  const ScratchDir scratch;
  write_bytes(scratch / "r.csv",
              "model,task,method,ratio,tokens,metric,value,base_value,chance,base_std_error\n"
              "m,piqa,x,0.5,0,acc,0.6,0.7,0.5,0.02\n"
              "m,wikitext2,x,0.5,0,loss,4.1,2.9,,\n");
  const std::vector<Observation> csv = read_results(scratch / "r.csv");
  ASSERT_EQ(csv.size(), 2u);
  EXPECT_EQ(*csv[0].chance, 0.5);
  EXPECT_EQ(*csv[0].base_std_error, 0.02);
  EXPECT_FALSE(csv[1].chance);
  EXPECT_FALSE(csv[1].base_std_error);
  write_bytes(scratch / "r.jsonl",
              "{\"model\":\"m\",\"task\":\"piqa\",\"method\":\"x\",\"ratio\":0.5,\"tokens\":0,"
              "\"metric\":\"acc\",\"value\":0.6,\"base_value\":0.7,\"chance\":0.25,"
              "\"base_std_error\":null}\n");
  const std::vector<Observation> jsonl = read_results(scratch / "r.jsonl");
  EXPECT_EQ(*jsonl[0].chance, 0.25);
  EXPECT_FALSE(jsonl[0].base_std_error);
}

TEST(ResultsFile, AnUnrecoveredRowBelongsToEveryObjective) {
  const ScratchDir scratch;
  write_bytes(scratch / "r.csv",
              "model,task,method,ratio,tokens,metric,value,base_value,objective\n"
              "m,t,prunenet,0.5,0,loss,4.1,2.9,lm\n"
              "m,t,prunenet,0.5,100,loss,3.8,2.9,lm\n"
              "m,t,prunenet,0.5,100,loss,3.9,2.9,kd\n");
  const std::vector<Observation> all = read_results(scratch / "r.csv");
  EXPECT_EQ(all[2].objective, "kd");
  const std::vector<Observation> kd = select_observations(all, "loss", {{"objective", "kd"}});
  ASSERT_EQ(kd.size(), 2u);
  EXPECT_EQ(kd[0].tokens, 0);
  EXPECT_EQ(kd[1].value, 3.9);
  const auto groups = group_observations(all, "objective");
  ASSERT_EQ(groups.size(), 2u);
  for (const auto& [objective, rows] : groups) {
    ASSERT_EQ(rows.size(), 2u) << objective;
    EXPECT_EQ(rows[0].objective, objective);
    EXPECT_EQ(rows[1].tokens, 0) << objective;
  }
}

}  // namespace
}  // namespace claw::laws

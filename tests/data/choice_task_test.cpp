// Zero-shot tasks as lm-evaluation-harness 0.4 poses them. The expected strings were written by
// hand from the harness's task definitions (doc_to_text, doc_to_choice, target_delimiter " ")
// applied to the first item of each data file; malformed files must say where and why.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "data/choice_task.h"
#include "support/test_support.h"

namespace claw::data {
namespace {

using testing::ScratchDir;
using testing::write_bytes;

struct Expected {
  std::string task;
  std::vector<std::string> contexts, continuations;
  std::int64_t gold;
};

// One request per choice; a single entry in `contexts` or `continuations` is shared by all.
void expect_first_item(const Expected& e) {
  const ChoiceTask task = load_choice_task(e.task);
  ASSERT_FALSE(task.items.empty());
  const ChoiceItem& item = task.items.front();
  EXPECT_EQ(item.line, 1);
  EXPECT_EQ(item.gold, e.gold) << e.task;
  const std::size_t n = std::max(e.contexts.size(), e.continuations.size());
  ASSERT_EQ(item.requests.size(), n) << e.task;
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(item.requests[i].context, e.contexts[e.contexts.size() == 1 ? 0 : i]) << e.task;
    EXPECT_EQ(item.requests[i].continuation, e.continuations[e.continuations.size() == 1 ? 0 : i])
        << e.task;
  }
}

TEST(ChoiceTask, FirstItemOfEveryTaskHasTheHarnesssStrings) {
  expect_first_item(
      {"piqa",
       {"Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:"},
       {" Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper "
        "strips, you will also need to supply it with a water bottle and a food dish.",
        " Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans "
        "material, you will also need to supply it with a water bottle and a food dish."},
       0});
  // The six-line file joins ctx_a and ctx_b, so the harness's ctx_b.capitalize() ("He") cannot
  // be applied (docs/evaluation.md).
  expect_first_item({"hellaswag",
                     {"Roof shingle removal: A man is sitting on a roof. he"},
                     {" is using wrap to wrap a pair of skis.", " is ripping level tiles off.",
                      " is holding a rubik's cube.", " starts pulling up roofing on a roof."},
                     3});
  expect_first_item({"winogrande",
                     {"Sarah was a much better surgeon than Maria so Sarah",
                      "Sarah was a much better surgeon than Maria so Maria"},
                     {" always got the easier cases."},
                     1});
  expect_first_item({"arc_easy",
                     {"Question: Which statement best explains why photosynthesis is the "
                      "foundation of most food webs?\nAnswer:"},
                     {" Sunlight is the source of energy for nearly all ecosystems.",
                      " Most ecosystems are found on land instead of in water.",
                      " Carbon dioxide is more available than other gases.",
                      " The producers in all ecosystems are plants."},
                     0});
  expect_first_item(
      {"arc_challenge",
       {"Question: An astronomer observes that a planet rotates faster after a "
        "meteorite impact. Which is the most likely effect of this increase in "
        "rotation?\nAnswer:"},
       {" Planetary density will decrease.", " Planetary years will become longer.",
        " Planetary days will become shorter.", " Planetary gravity will become stronger."},
       2});
  expect_first_item({"openbookqa",
                     {"A person wants to start saving money so that they can afford a nice "
                      "vacation at the end of the year. After looking over their budget and "
                      "expenses, they decide the best way to save money is to"},
                     {" make more phone calls", " quit eating lunch out",
                      " buy less with monopoly money", " have lunch with friends"},
                     1});
  // COPA's choices carry their own leading space, and the delimiter adds another.
  expect_first_item({"copa",
                     {"The man turned on the faucet, therefore"},
                     {"  the toilet filled with water.", "  water flowed from the spout."},
                     1});

  const ChoiceTask boolq = load_choice_task("boolq");
  const LoglikelihoodRequest& yes = boolq.items.front().requests.at(1);
  EXPECT_EQ(yes.context.rfind("All biomass goes through at least some of these steps: ", 0), 0u);
  const std::string tail = "\nQuestion: does ethanol take more energy make that produces?\nAnswer:";
  EXPECT_EQ(yes.context.substr(yes.context.size() - tail.size()), tail);
  EXPECT_EQ(yes.continuation, " yes");
  EXPECT_EQ(boolq.items.front().gold, 0);

  const ChoiceTask lambada = load_choice_task("lambada");
  EXPECT_EQ(lambada.scoring, ChoiceScoring::kLastWord);
  const LoglikelihoodRequest& word = lambada.items.front().requests.at(0);
  EXPECT_EQ(word.context.rfind("In my palm is a clear stone, and inside it is", 0), 0u);
  EXPECT_EQ(word.context.substr(word.context.size() - 18), "I don't care about");
  EXPECT_EQ(word.continuation, " signs");
}

TEST(ChoiceTask, MalformedItemsAreLeftOutWithTheirLineNumbers) {
  const ScratchDir dir;
  const std::string path = (dir / "mc.jsonl").string();
  write_bytes(path,
              "{\"query\": \"Q1\", \"choices\": [\"a\", \"b\"], \"gold\": 1}\n"
              "{\"query\": \"Q2\", \"choices\": [\"a\", \"b\"], \"gold\": \n"
              "{\"query\": \"Q3\", \"choices\": [\"a\", \"b\"], \"gold\": 2}\n"
              "\n"
              "{\"query\": \"Q5\", \"choices\": [\"a\"], \"gold\": 0}\n"
              "{\"query\": \"Q6\", \"choices\": \"ab\", \"gold\": 0}\n"
              "{\"query\": \"Q7\", \"choices\": [\"a\", \"b\", \"c\"], \"gold\": 2}\n");
  const ChoiceTask task = load_choice_task("mc:" + path);
  ASSERT_EQ(task.items.size(), 2u);
  EXPECT_EQ(task.items[0].line, 1);
  EXPECT_EQ(task.items[0].requests[0].context, "Q1");
  EXPECT_EQ(task.items[1].line, 7);
  ASSERT_EQ(task.skipped.size(), 4u);
  const auto expect_problem = [&](std::size_t i, const std::string& where, const std::string& why) {
    EXPECT_EQ(task.skipped[i].rfind(path + ":" + where + ": ", 0), 0u) << task.skipped[i];
    EXPECT_NE(task.skipped[i].find(why), std::string::npos) << task.skipped[i];
  };
  expect_problem(0, "2", "syntax error");
  expect_problem(1, "3", "gold 2 is not a choice index (0 to 1)");
  expect_problem(2, "5", "needs at least 2 choices, got 1");
  expect_problem(3, "6", "\"choices\" must be an array of strings");
}

TEST(ChoiceTask, UnusableFilesAreErrors) {
  const ScratchDir dir;
  const auto expect_error = [](const std::string& name, const std::string& expected) {
    try {
      load_choice_task(name);
      ADD_FAILURE() << name << " loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  write_bytes(dir / "empty.jsonl", " \n\n");
  expect_error("mc:" + (dir / "empty.jsonl").string(), "empty.jsonl: is empty");
  write_bytes(dir / "bad.jsonl", "not json\n{\"query\": 1}\n");
  expect_error("mc:" + (dir / "bad.jsonl").string(), "bad.jsonl: no usable item (first problem: ");
  expect_error("mc:" + (dir / "missing.jsonl").string(), "missing.jsonl: no such file");
  expect_error("piqa2", "unknown task 'piqa2'");

  // PIQA's labels file must match its items.
  write_bytes(dir / "p.jsonl", "{\"goal\": \"g\", \"sol1\": \"a\", \"sol2\": \"b\"}\n");
  write_bytes(dir / "p-labels.lst", "0\n1\n");
  expect_error("piqa:" + (dir / "p.jsonl").string(), "has 2 labels for the 1 items");

  // A HellaSwag file cut inside an item loses that item only, and says so.
  write_bytes(dir / "h.txt", "ctx one\n0\na\nb\nc\nd\nctx two\n1\na\n");
  const ChoiceTask hellaswag = load_choice_task("hellaswag:" + (dir / "h.txt").string());
  EXPECT_EQ(hellaswag.items.size(), 1u);
  ASSERT_EQ(hellaswag.skipped.size(), 1u);
  EXPECT_NE(hellaswag.skipped[0].find("h.txt:7: the file ends inside an item (3 of its 6 lines)"),
            std::string::npos)
      << hellaswag.skipped[0];
}

TEST(ChoiceTask, HellaswagPreprocessingFollowsTheHarness) {
  const ScratchDir dir;
  write_bytes(
      dir / "h.txt",
      "  Making tea [title] Boil water.  [step] Pour   it. \n2\n[header] a\nb [x] c\nd\ne\n");
  const ChoiceItem item = load_choice_task("hellaswag:" + (dir / "h.txt").string()).items.at(0);
  // strip; " [title]" -> ". "; "[...]" removed (what surrounded it stays, spaces included); one
  // pass of "  " -> " ", so three spaces leave two.
  EXPECT_EQ(item.requests[0].context, "Making tea. Boil water.  Pour  it.");
  EXPECT_EQ(item.choices[0], " a");
  EXPECT_EQ(item.requests[0].continuation, "  a");
  EXPECT_EQ(item.requests[1].continuation, " b c");
  EXPECT_EQ(item.choices[1], "b c");
  EXPECT_EQ(item.gold, 2);
}

}  // namespace
}  // namespace claw::data

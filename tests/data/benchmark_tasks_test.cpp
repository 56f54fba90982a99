// BLiMP and MMLU as the harness poses them: the tasks and groups it defines, the prompt strings
// pinned character by character, and one-line errors naming the file and line for broken files.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "data/blimp.h"
#include "data/choice_task.h"
#include "data/mmlu.h"
#include "data/task_groups.h"
#include "support/test_support.h"

namespace claw::data {
namespace {

using testing::ScratchDir;

void write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string error_of(const std::string& name) {
  try {
    load_choice_task(name);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(BenchmarkTasks, BlimpIsSixtySevenParadigmsOfAThousandPairs) {
  const std::optional<TaskGroup> blimp = find_task_group("blimp");
  ASSERT_TRUE(blimp.has_value());
  ASSERT_EQ(blimp->tasks.size(), 67u);
  EXPECT_FALSE(blimp->weight_by_size);
  std::map<std::string, int> fields;
  for (const BlimpParadigm& p : blimp_paradigms()) ++fields[std::string(p.field)];
  EXPECT_EQ(fields,
            (std::map<std::string, int>{
                {"morphology", 18}, {"semantics", 9}, {"syntax", 26}, {"syntax_semantics", 14}}));
  // principle_A_case_2 spells its field "syntax/semantics" in the file.
  const ChoiceTask task = load_choice_task("blimp_principle_A_case_2");
  EXPECT_EQ(task.category, "syntax_semantics");
  ASSERT_EQ(task.items.size(), 1000u);
  const ChoiceItem& item = task.items.front();
  EXPECT_EQ(item.gold, 0);
  ASSERT_EQ(item.requests.size(), 2u);
  EXPECT_EQ(item.requests[0].context, "");
  EXPECT_EQ(item.requests[0].continuation, " " + item.choices[0]);
  EXPECT_EQ(item.requests[1].continuation, " " + item.choices[1]);
  EXPECT_EQ(find_task_group("blimp_semantics")->tasks.size(), 9u);
}

TEST(BenchmarkTasks, MmluIsFiftySevenSubjectsInFourCategories) {
  const std::optional<TaskGroup> mmlu = find_task_group("mmlu");
  ASSERT_TRUE(mmlu.has_value());
  EXPECT_EQ(mmlu->tasks.size(), 57u);
  EXPECT_TRUE(mmlu->weight_by_size);
  EXPECT_EQ(mmlu->parts, TaskGroup::Parts::kSubgroups);
  EXPECT_EQ(find_task_group("mmlu_stem")->tasks.size(), 19u);
  EXPECT_EQ(find_task_group("mmlu_humanities")->tasks.size(), 13u);
  EXPECT_EQ(find_task_group("mmlu_social_sciences")->tasks.size(), 12u);
  EXPECT_EQ(find_task_group("mmlu_other")->tasks.size(), 13u);
  std::size_t questions = 0;
  for (const std::string& name : mmlu->tasks) questions += load_choice_task(name).items.size();
  EXPECT_EQ(questions, 14042u);
}

TEST(BenchmarkTasks, MmluPromptIsTheHarnessString) {
  const ChoiceTask zero = load_choice_task("mmlu_abstract_algebra");
  ASSERT_EQ(zero.items.size(), 100u);
  const ChoiceItem& first = zero.items.front();
  EXPECT_EQ(first.requests[0].context,
            "The following are multiple choice questions (with answers) about abstract "
            "algebra.\n\nFind the degree for the given field extension Q(sqrt(2), sqrt(3), "
            "sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:");
  EXPECT_EQ(first.choices, (std::vector<std::string>{"A", "B", "C", "D"}));
  EXPECT_EQ(first.requests[3].continuation, " D");
  EXPECT_EQ(first.gold, 1);

  const ChoiceTask five = load_choice_task("mmlu_abstract_algebra", {5});
  const std::string& context = five.items.front().requests[0].context;
  // Description, then the five dev questions in file order, each answered, then the question.
  EXPECT_EQ(context.rfind("The following are multiple choice questions (with answers) about "
                          "abstract algebra.\n\nFind all c in Z_3 such that Z_3[x]/(x^2 + c) is a "
                          "field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\nStatement 1 | If aH",
                          0),
            0u);
  EXPECT_NE(context.find("D. 30\nAnswer: A\n\nFind the degree"), std::string::npos);
  EXPECT_EQ(context.substr(context.size() - 40),
            first.requests[0].context.substr(first.requests[0].context.size() - 40));
  EXPECT_EQ(five.num_fewshot, 5);
}

TEST(BenchmarkTasks, FewShotOnlyWhereThereAreExamples) {
  EXPECT_THROW(load_choice_task("piqa", {1}), Error);
  EXPECT_THROW(load_choice_task("blimp_passive_1", {1}), Error);
}

TEST(BenchmarkTasks, BrokenFilesAreErrorsNamingFileAndLine) {
  ScratchDir dir;
  const std::string good =
      R"({"sentence_good": "A cat runs.", "sentence_bad": "A cat run.", "field": "syntax", )"
      R"("UID": "passive_1", "pairID": "0"})";
  write(dir / "empty.jsonl", "\n");
  EXPECT_NE(error_of("blimp_passive_1:" + (dir / "empty.jsonl").string()).find("is empty"),
            std::string::npos);
  write(dir / "missing.jsonl", good + "\n{\"sentence_good\": \"x\", \"UID\": \"passive_1\"}\n");
  EXPECT_EQ(error_of("blimp_passive_1:" + (dir / "missing.jsonl").string()),
            (dir / "missing.jsonl").string() + ":2: missing required key 'sentence_bad'");
  write(dir / "other.jsonl", good + "\n");
  EXPECT_NE(error_of("blimp_adjunct_island:" + (dir / "other.jsonl").string())
                .find("other.jsonl:1: a pair of paradigm 'passive_1'"),
            std::string::npos);

  const std::string header = "question,choice0,choice1,choice2,choice3,answer\n";
  write(dir / "mmlu" / "test" / "anatomy_test.csv", header + "Q?,a,b,c,d,1\nR?,a,b,c,d,4\n");
  EXPECT_NE(error_of("mmlu_anatomy:" + (dir / "mmlu").string())
                .find("anatomy_test.csv:3: answer must be a choice index 0 to 3, got '4'"),
            std::string::npos);
  write(dir / "mmlu" / "test" / "anatomy_test.csv", header + "Q?,a,b,c,1\n");
  EXPECT_NE(error_of("mmlu_anatomy:" + (dir / "mmlu").string()).find("anatomy_test.csv:2"),
            std::string::npos);
  write(dir / "mmlu" / "test" / "anatomy_test.csv", "");
  EXPECT_NE(error_of("mmlu_anatomy:" + (dir / "mmlu").string()).find("is empty"),
            std::string::npos);
  write(dir / "mmlu" / "test" / "anatomy_test.csv", header + "Q?,a,b,c,d,1\n");
  write(dir / "mmlu" / "dev" / "anatomy_dev.csv", header + "Q?,a,b,c,d,1\n");
  try {
    load_choice_task("mmlu_anatomy:" + (dir / "mmlu").string(), {2});
    ADD_FAILURE() << "two shots from one dev question";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has 1 dev questions, fewer than --num-fewshot 2"),
              std::string::npos);
  }
}

TEST(BenchmarkTasks, GroupsExpandOnceInTheOrderNamed) {
  const ChoiceTaskSet set =
      load_choice_tasks({"blimp_morphology", "blimp_passive_1", "mmlu_stem", "blimp_morphology"});
  EXPECT_EQ(set.names,
            (std::vector<std::string>{"blimp_morphology", "blimp_passive_1", "mmlu_stem"}));
  EXPECT_EQ(set.tasks.size(), 18u + 1u + 19u);
  EXPECT_EQ(set.groups.size(), 2u);
}

}  // namespace
}  // namespace claw::data

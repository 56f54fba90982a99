// MMLU (Hendrycks et al. 2021), the 57 subjects posed as lm-evaluation-harness's default
// mmlu_* tasks (docs/zero-shot.md, "MMLU"): the test split scored, the dev split as few-shot
// examples in file order, the letters " A" … " D" as the choices, acc.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "data/choice_task.h"

namespace claw::data {

struct MmluSubject {
  std::string_view name;      // "abstract_algebra"
  std::string_view category;  // "stem", "humanities", "social_sciences" or "other"
};

// The 57 subjects with the harness's categories, in name order.
const std::vector<MmluSubject>& mmlu_subjects();

// The categories, in the order claw reports them.
const std::vector<std::string_view>& mmlu_categories();

// The subject of `name` ("mmlu_<subject>"), or nullptr when `name` names none.
const MmluSubject* mmlu_subject(std::string_view name);

// One MMLU question as the CSV files hold it.
struct MmluQuestion {
  std::string question;
  std::vector<std::string> choices;  // four
  std::int64_t answer = 0;           // 0-based
  std::int64_t line = 0;             // where the row starts in its file
};

// The harness's prompt for `question` after `shots` answered examples: the description
// "The following are multiple choice questions (with answers) about {subject, _ as space}.\n\n",
// then per example doc_to_text + " " + its letter + "\n\n", then doc_to_text, where doc_to_text
// is "{question stripped}\nA. {choice 0}\nB. …\nD. {choice 3}\nAnswer:".
std::string mmlu_prompt(std::string_view subject, const std::vector<MmluQuestion>& shots,
                        const MmluQuestion& question);

// The task `name` for `subject`, from DIR/test/<subject>_test.csv with the first `num_fewshot`
// questions of DIR/dev/<subject>_dev.csv as examples. Each CSV has the header
// question,choice0,choice1,choice2,choice3,answer. A malformed row (a missing column, an answer
// that is not 0 to 3), an empty file or too few dev questions is an error naming the file and
// line.
ChoiceTask read_mmlu_task(const std::string& name, const MmluSubject& subject,
                          const std::filesystem::path& dir, std::int64_t num_fewshot);

}  // namespace claw::data

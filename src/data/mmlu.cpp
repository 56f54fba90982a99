#include "data/mmlu.h"

#include <algorithm>

#include "core/csv.h"
#include "core/error.h"
#include "core/format.h"
#include "core/text_file.h"

namespace claw::data {
namespace {

constexpr std::string_view kMmluPrefix = "mmlu_";
constexpr std::string_view kLetters = "ABCD";

std::vector<MmluQuestion> read_questions(const std::filesystem::path& path) {
  const std::string source = path.string();
  const std::string text = read_text_file(path);
  CLAW_CHECK(!strip(text).empty(), source, ": is empty");
  const CsvTable table = parse_csv(text, source);
  std::vector<std::size_t> columns = {table.column("question", source)};
  for (int c = 0; c < 4; ++c) columns.push_back(table.column(concat("choice", c), source));
  const std::size_t answer_column = table.column("answer", source);
  std::vector<MmluQuestion> questions;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const std::vector<std::string>& row = table.rows[r];
    const std::string answer(strip(row[answer_column]));
    CLAW_CHECK(answer.size() == 1 && answer[0] >= '0' && answer[0] <= '3', source, ":",
               table.lines[r], ": answer must be a choice index 0 to 3, got '", answer, "'");
    MmluQuestion q{row[columns[0]], {}, answer[0] - '0', table.lines[r]};
    for (int c = 1; c <= 4; ++c) q.choices.push_back(row[columns[c]]);
    questions.push_back(std::move(q));
  }
  CLAW_CHECK(!questions.empty(), source, ": has a header but no question");
  return questions;
}

std::string doc_to_text(const MmluQuestion& q) {
  std::string text(strip(q.question));
  for (std::size_t c = 0; c < 4; ++c) text += concat("\n", kLetters[c], ". ", q.choices[c]);
  return text + "\nAnswer:";
}

}  // namespace

const std::vector<MmluSubject>& mmlu_subjects() {
  static const std::vector<MmluSubject> subjects = {
      {"abstract_algebra", "stem"},
      {"anatomy", "stem"},
      {"astronomy", "stem"},
      {"business_ethics", "other"},
      {"clinical_knowledge", "other"},
      {"college_biology", "stem"},
      {"college_chemistry", "stem"},
      {"college_computer_science", "stem"},
      {"college_mathematics", "stem"},
      {"college_medicine", "other"},
      {"college_physics", "stem"},
      {"computer_security", "stem"},
      {"conceptual_physics", "stem"},
      {"econometrics", "social_sciences"},
      {"electrical_engineering", "stem"},
      {"elementary_mathematics", "stem"},
      {"formal_logic", "humanities"},
      {"global_facts", "other"},
      {"high_school_biology", "stem"},
      {"high_school_chemistry", "stem"},
      {"high_school_computer_science", "stem"},
      {"high_school_european_history", "humanities"},
      {"high_school_geography", "social_sciences"},
      {"high_school_government_and_politics", "social_sciences"},
      {"high_school_macroeconomics", "social_sciences"},
      {"high_school_mathematics", "stem"},
      {"high_school_microeconomics", "social_sciences"},
      {"high_school_physics", "stem"},
      {"high_school_psychology", "social_sciences"},
      {"high_school_statistics", "stem"},
      {"high_school_us_history", "humanities"},
      {"high_school_world_history", "humanities"},
      {"human_aging", "other"},
      {"human_sexuality", "social_sciences"},
      {"international_law", "humanities"},
      {"jurisprudence", "humanities"},
      {"logical_fallacies", "humanities"},
      {"machine_learning", "stem"},
      {"management", "other"},
      {"marketing", "other"},
      {"medical_genetics", "other"},
      {"miscellaneous", "other"},
      {"moral_disputes", "humanities"},
      {"moral_scenarios", "humanities"},
      {"nutrition", "other"},
      {"philosophy", "humanities"},
      {"prehistory", "humanities"},
      {"professional_accounting", "other"},
      {"professional_law", "humanities"},
      {"professional_medicine", "other"},
      {"professional_psychology", "social_sciences"},
      {"public_relations", "social_sciences"},
      {"security_studies", "social_sciences"},
      {"sociology", "social_sciences"},
      {"us_foreign_policy", "social_sciences"},
      {"virology", "other"},
      {"world_religions", "humanities"},
  };
  return subjects;
}

const std::vector<std::string_view>& mmlu_categories() {
  static const std::vector<std::string_view> categories = {"stem", "humanities", "social_sciences",
                                                           "other"};
  return categories;
}

const MmluSubject* mmlu_subject(std::string_view name) {
  if (name.substr(0, kMmluPrefix.size()) != kMmluPrefix) return nullptr;
  const std::string_view subject = name.substr(kMmluPrefix.size());
  const auto& all = mmlu_subjects();
  const auto it =
      std::find_if(all.begin(), all.end(), [&](const MmluSubject& s) { return s.name == subject; });
  return it == all.end() ? nullptr : &*it;
}

std::string mmlu_prompt(std::string_view subject, const std::vector<MmluQuestion>& shots,
                        const MmluQuestion& question) {
  std::string spaced(subject);
  std::replace(spaced.begin(), spaced.end(), '_', ' ');
  std::string prompt =
      concat("The following are multiple choice questions (with answers) about ", spaced, ".\n\n");
  for (const MmluQuestion& shot : shots) {
    prompt +=
        concat(doc_to_text(shot), " ", kLetters[static_cast<std::size_t>(shot.answer)], "\n\n");
  }
  return prompt + doc_to_text(question);
}

ChoiceTask read_mmlu_task(const std::string& name, const MmluSubject& subject,
                          const std::filesystem::path& dir, std::int64_t num_fewshot) {
  const std::string stem(subject.name);
  const std::filesystem::path test_path = dir / "test" / (stem + "_test.csv");
  ChoiceTask task;
  task.name = name;
  task.source = test_path.string();
  task.category = subject.category;
  task.num_fewshot = num_fewshot;
  task.prompt =
      "\"The following are multiple choice questions (with answers) about {subject}.\\n\\n\" + "
      "k × (example + \" {letter}\\n\\n\") + \"{question}\\nA. {A}\\nB. {B}\\nC. {C}\\nD. "
      "{D}\\nAnswer:\" + \" A\" | \" B\" | \" C\" | \" D\"";
  std::vector<MmluQuestion> shots;
  if (num_fewshot > 0) {
    const std::filesystem::path dev_path = dir / "dev" / (stem + "_dev.csv");
    shots = read_questions(dev_path);
    CLAW_CHECK(static_cast<std::int64_t>(shots.size()) >= num_fewshot, dev_path.string(), ": has ",
               shots.size(), " dev questions, fewer than --num-fewshot ", num_fewshot);
    shots.resize(static_cast<std::size_t>(num_fewshot));
  }
  for (const MmluQuestion& question : read_questions(test_path)) {
    ChoiceItem item = multiple_choice(mmlu_prompt(subject.name, shots, question),
                                      {"A", "B", "C", "D"}, question.answer);
    item.line = question.line;
    item.index = static_cast<std::int64_t>(task.items.size());
    task.items.push_back(std::move(item));
  }
  return task;
}

}  // namespace claw::data

#include "data/blimp.h"

#include <algorithm>

#include "core/error.h"
#include "core/json.h"
#include "core/text_file.h"
#include "data/task_lines.h"

namespace claw::data {
namespace {

constexpr std::string_view kPrefix = "blimp_";

}  // namespace

const std::vector<std::string_view>& blimp_paradigms() {
  static const std::vector<std::string_view> paradigms = {
      "adjunct_island",
      "anaphor_gender_agreement",
      "anaphor_number_agreement",
      "animate_subject_passive",
      "animate_subject_trans",
      "causative",
      "complex_NP_island",
      "coordinate_structure_constraint_complex_left_branch",
      "coordinate_structure_constraint_object_extraction",
      "determiner_noun_agreement_1",
      "determiner_noun_agreement_2",
      "determiner_noun_agreement_irregular_1",
      "determiner_noun_agreement_irregular_2",
      "determiner_noun_agreement_with_adj_2",
      "determiner_noun_agreement_with_adj_irregular_1",
      "determiner_noun_agreement_with_adj_irregular_2",
      "determiner_noun_agreement_with_adjective_1",
      "distractor_agreement_relational_noun",
      "distractor_agreement_relative_clause",
      "drop_argument",
      "ellipsis_n_bar_1",
      "ellipsis_n_bar_2",
      "existential_there_object_raising",
      "existential_there_quantifiers_1",
      "existential_there_quantifiers_2",
      "existential_there_subject_raising",
      "expletive_it_object_raising",
      "inchoative",
      "intransitive",
      "irregular_past_participle_adjectives",
      "irregular_past_participle_verbs",
      "irregular_plural_subject_verb_agreement_1",
      "irregular_plural_subject_verb_agreement_2",
      "left_branch_island_echo_question",
      "left_branch_island_simple_question",
      "matrix_question_npi_licensor_present",
      "npi_present_1",
      "npi_present_2",
      "only_npi_licensor_present",
      "only_npi_scope",
      "passive_1",
      "passive_2",
      "principle_A_c_command",
      "principle_A_case_1",
      "principle_A_case_2",
      "principle_A_domain_1",
      "principle_A_domain_2",
      "principle_A_domain_3",
      "principle_A_reconstruction",
      "regular_plural_subject_verb_agreement_1",
      "regular_plural_subject_verb_agreement_2",
      "sentential_negation_npi_licensor_present",
      "sentential_negation_npi_scope",
      "sentential_subject_island",
      "superlative_quantifiers_1",
      "superlative_quantifiers_2",
      "tough_vs_raising_1",
      "tough_vs_raising_2",
      "transitive",
      "wh_island",
      "wh_questions_object_gap",
      "wh_questions_subject_gap",
      "wh_questions_subject_gap_long_distance",
      "wh_vs_that_no_gap",
      "wh_vs_that_no_gap_long_distance",
      "wh_vs_that_with_gap",
      "wh_vs_that_with_gap_long_distance",
  };
  return paradigms;
}

std::string_view blimp_paradigm(std::string_view name) {
  if (name.substr(0, kPrefix.size()) != kPrefix) return {};
  const std::string_view uid = name.substr(kPrefix.size());
  const auto& all = blimp_paradigms();
  return std::find(all.begin(), all.end(), uid) != all.end() ? uid : std::string_view();
}

ChoiceTask read_blimp_task(const std::string& name, const std::string& path) {
  const std::string_view uid = blimp_paradigm(name);
  CLAW_CHECK(!uid.empty(), "'", name, "' is not a BLiMP paradigm");
  ChoiceTask task;
  task.name = name;
  task.source = path;
  task.prompt = "\"\" (the model's prefix token) + \" {sentence_good}\" | \" {sentence_bad}\"";
  const std::string text = read_text_file(path);
  for (const NumberedLine& line : nonblank_lines(text)) {
    const std::string where = concat(path, ":", line.number);
    const Json doc = parse_json(line.text, where);
    const auto good = json_required<std::string>(doc, "sentence_good", where);
    const auto bad = json_required<std::string>(doc, "sentence_bad", where);
    const auto paradigm = json_required<std::string>(doc, "UID", where);
    CLAW_CHECK(paradigm == uid, where, ": a pair of paradigm '", paradigm, "' in the file of '",
               uid, "'");
    // One paradigm spells its field "syntax/semantics", the others "syntax_semantics".
    std::string field = json_required<std::string>(doc, "field", where);
    std::replace(field.begin(), field.end(), '/', '_');
    CLAW_CHECK(task.category.empty() || task.category == field, where, ": field '", field,
               "' where the paradigm's earlier pairs have '", task.category, "'");
    task.category = field;
    ChoiceItem item = multiple_choice("", {good, bad}, 0);
    item.line = line.number;
    task.items.push_back(std::move(item));
  }
  CLAW_CHECK(!task.items.empty(), path, ": is empty");
  return task;
}

}  // namespace claw::data

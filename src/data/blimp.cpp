#include "data/blimp.h"

#include <algorithm>

#include "core/error.h"
#include "core/json.h"
#include "core/text_file.h"
#include "data/task_lines.h"

namespace claw::data {
namespace {

constexpr std::string_view kBlimpPrefix = "blimp_";

}  // namespace

const std::vector<BlimpParadigm>& blimp_paradigms() {
  static const std::vector<BlimpParadigm> paradigms = {
      {"adjunct_island", "syntax"},
      {"anaphor_gender_agreement", "morphology"},
      {"anaphor_number_agreement", "morphology"},
      {"animate_subject_passive", "syntax"},
      {"animate_subject_trans", "syntax"},
      {"causative", "syntax"},
      {"complex_NP_island", "syntax"},
      {"coordinate_structure_constraint_complex_left_branch", "syntax"},
      {"coordinate_structure_constraint_object_extraction", "syntax"},
      {"determiner_noun_agreement_1", "morphology"},
      {"determiner_noun_agreement_2", "morphology"},
      {"determiner_noun_agreement_irregular_1", "morphology"},
      {"determiner_noun_agreement_irregular_2", "morphology"},
      {"determiner_noun_agreement_with_adj_2", "morphology"},
      {"determiner_noun_agreement_with_adj_irregular_1", "morphology"},
      {"determiner_noun_agreement_with_adj_irregular_2", "morphology"},
      {"determiner_noun_agreement_with_adjective_1", "morphology"},
      {"distractor_agreement_relational_noun", "morphology"},
      {"distractor_agreement_relative_clause", "morphology"},
      {"drop_argument", "syntax"},
      {"ellipsis_n_bar_1", "syntax"},
      {"ellipsis_n_bar_2", "syntax"},
      {"existential_there_object_raising", "syntax_semantics"},
      {"existential_there_quantifiers_1", "semantics"},
      {"existential_there_quantifiers_2", "semantics"},
      {"existential_there_subject_raising", "syntax_semantics"},
      {"expletive_it_object_raising", "syntax_semantics"},
      {"inchoative", "syntax"},
      {"intransitive", "syntax"},
      {"irregular_past_participle_adjectives", "morphology"},
      {"irregular_past_participle_verbs", "morphology"},
      {"irregular_plural_subject_verb_agreement_1", "morphology"},
      {"irregular_plural_subject_verb_agreement_2", "morphology"},
      {"left_branch_island_echo_question", "syntax"},
      {"left_branch_island_simple_question", "syntax"},
      {"matrix_question_npi_licensor_present", "semantics"},
      {"npi_present_1", "semantics"},
      {"npi_present_2", "semantics"},
      {"only_npi_licensor_present", "semantics"},
      {"only_npi_scope", "syntax_semantics"},
      {"passive_1", "syntax"},
      {"passive_2", "syntax"},
      {"principle_A_c_command", "syntax_semantics"},
      {"principle_A_case_1", "syntax_semantics"},
      {"principle_A_case_2", "syntax_semantics"},
      {"principle_A_domain_1", "syntax_semantics"},
      {"principle_A_domain_2", "syntax_semantics"},
      {"principle_A_domain_3", "syntax_semantics"},
      {"principle_A_reconstruction", "syntax_semantics"},
      {"regular_plural_subject_verb_agreement_1", "morphology"},
      {"regular_plural_subject_verb_agreement_2", "morphology"},
      {"sentential_negation_npi_licensor_present", "semantics"},
      {"sentential_negation_npi_scope", "syntax_semantics"},
      {"sentential_subject_island", "syntax"},
      {"superlative_quantifiers_1", "semantics"},
      {"superlative_quantifiers_2", "semantics"},
      {"tough_vs_raising_1", "syntax_semantics"},
      {"tough_vs_raising_2", "syntax_semantics"},
      {"transitive", "syntax"},
      {"wh_island", "syntax"},
      {"wh_questions_object_gap", "syntax"},
      {"wh_questions_subject_gap", "syntax"},
      {"wh_questions_subject_gap_long_distance", "syntax"},
      {"wh_vs_that_no_gap", "syntax"},
      {"wh_vs_that_no_gap_long_distance", "syntax"},
      {"wh_vs_that_with_gap", "syntax"},
      {"wh_vs_that_with_gap_long_distance", "syntax"},
  };
  return paradigms;
}

const BlimpParadigm* blimp_paradigm(std::string_view name) {
  if (name.substr(0, kBlimpPrefix.size()) != kBlimpPrefix) return nullptr;
  const std::string_view uid = name.substr(kBlimpPrefix.size());
  const auto& all = blimp_paradigms();
  const auto it =
      std::find_if(all.begin(), all.end(), [&](const BlimpParadigm& p) { return p.uid == uid; });
  return it == all.end() ? nullptr : &*it;
}

const std::vector<std::string_view>& blimp_fields() {
  static const std::vector<std::string_view> fields = {"morphology", "syntax", "semantics",
                                                       "syntax_semantics"};
  return fields;
}

ChoiceTask read_blimp_task(const std::string& name, const BlimpParadigm& paradigm,
                           const std::string& path) {
  ChoiceTask task;
  task.name = name;
  task.source = path;
  task.category = paradigm.field;
  task.prompt = "\"\" (the model's prefix token) + \" {sentence_good}\" | \" {sentence_bad}\"";
  const std::string text = read_text_file(path);
  for (const NumberedLine& line : nonblank_lines(text)) {
    const std::string where = concat(path, ":", line.number);
    const Json doc = parse_json(line.text, where);
    const auto good = json_required<std::string>(doc, "sentence_good", where);
    const auto bad = json_required<std::string>(doc, "sentence_bad", where);
    const auto uid = json_required<std::string>(doc, "UID", where);
    CLAW_CHECK(uid == paradigm.uid, where, ": a pair of paradigm '", uid, "' in the file of '",
               paradigm.uid, "'");
    // One paradigm spells its field "syntax/semantics", the others "syntax_semantics".
    std::string field = json_required<std::string>(doc, "field", where);
    std::replace(field.begin(), field.end(), '/', '_');
    CLAW_CHECK(field == paradigm.field, where, ": field '", field, "', but BLiMP's ", paradigm.uid,
               " is ", paradigm.field);
    ChoiceItem item = multiple_choice("", {good, bad}, 0);
    item.line = line.number;
    item.index = static_cast<std::int64_t>(task.items.size());
    task.items.push_back(std::move(item));
  }
  CLAW_CHECK(!task.items.empty(), path, ": is empty");
  return task;
}

}  // namespace claw::data

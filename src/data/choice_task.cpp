#include "data/choice_task.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <functional>

#include "core/data_dir.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "core/text_file.h"
#include "data/blimp.h"
#include "data/mmlu.h"
#include "data/task_groups.h"
#include "data/task_lines.h"

namespace claw::data {
namespace fs = std::filesystem;
namespace {

enum class Format {
  kPiqa,          // PIQA's own files: {"goal", "sol1", "sol2"} lines and a labels file beside
  kHellaswag,     // six lines per item: context, gold, four endings
  kQueryChoices,  // {"query", "choices", "gold"} lines
  kWinogrande,    // {"context_options", "continuation", "gold"} lines
  kLambada,       // {"context", "continuation"} lines
};

// The lm-eval context of a {"query", ...} item, from the query as the file has it.
using QueryPrompt = std::string (*)(const std::string& query);

struct TaskDefinition {
  std::string_view name;
  std::string_view file;  // under the data directory
  Format format;
  QueryPrompt query_prompt;  // kQueryChoices only
  bool reports_acc_norm;
  std::string_view prompt;  // the protocol's words for the prompt
};

// The gauntlet files keep "Question: ..." and leave the answer cue to the evaluator.
std::string question_answer(const std::string& query) {
  return query + "\nAnswer:";
}

// lm-eval's BoolQ prompt is "{passage}\nQuestion: {question}?\nAnswer:"; the file has
// "Passage: {passage}\nQuestion: {question}?".
std::string boolq(const std::string& query) {
  constexpr std::string_view kPassage = "Passage: ";
  const std::string_view rest = std::string_view(query).substr(
      query.compare(0, kPassage.size(), kPassage) == 0 ? kPassage.size() : 0);
  return std::string(rest) + "\nAnswer:";
}

std::string verbatim(const std::string& query) {
  return query;
}

constexpr std::array kTasks = {
    TaskDefinition{"piqa", "piqa/valid.jsonl", Format::kPiqa, nullptr, true,
                   "\"Question: {goal}\\nAnswer:\" + \" {solution}\""},
    TaskDefinition{"hellaswag", "hellaswag/hellaswag_val_full.txt", Format::kHellaswag, nullptr,
                   true, "preprocess(context) + \" \" + preprocess(ending)"},
    TaskDefinition{"winogrande", "eval-gauntlet/winogrande.jsonl", Format::kWinogrande, nullptr,
                   false, "partial scoring: \"{sentence up to _}{option}\" + \" {rest}\""},
    TaskDefinition{"arc_easy", "eval-gauntlet/arc_easy.jsonl", Format::kQueryChoices,
                   question_answer, true, "\"Question: {question}\\nAnswer:\" + \" {choice}\""},
    TaskDefinition{"arc_challenge", "eval-gauntlet/arc_challenge.jsonl", Format::kQueryChoices,
                   question_answer, true, "\"Question: {question}\\nAnswer:\" + \" {choice}\""},
    TaskDefinition{"boolq", "eval-gauntlet/boolq.jsonl", Format::kQueryChoices, boolq, false,
                   "\"{passage}\\nQuestion: {question}?\\nAnswer:\" + \" no\" | \" yes\""},
    TaskDefinition{"lambada", "eval-gauntlet/lambada_openai.jsonl", Format::kLambada, nullptr,
                   false, "\"{text but the last word}\" + \" {last word}\""},
    TaskDefinition{"openbookqa", "eval-gauntlet/openbook_qa.jsonl", Format::kQueryChoices, verbatim,
                   true, "\"{question_stem}\" + \" {choice}\""},
    // lm-eval's COPA choices already start with a space and the target delimiter adds
    // another, so its continuations start with two.
    TaskDefinition{"copa", "eval-gauntlet/copa.jsonl", Format::kQueryChoices, verbatim, false,
                   "\"{premise without its period} because|therefore\" + \"  {choice}\""},
    TaskDefinition{"mc", "", Format::kQueryChoices, verbatim, true, "\"{query}\" + \" {choice}\""},
};

const TaskDefinition* find_task(std::string_view name) {
  const auto it = std::find_if(kTasks.begin(), kTasks.end(),
                               [&](const TaskDefinition& t) { return t.name == name; });
  return it == kTasks.end() ? nullptr : &*it;
}

// lm-eval's HellaSwag preprocess(): strip, " [title]" -> ". ", drop every "[...]" (shortest
// match), then one left-to-right pass replacing "  " with " ".
std::string hellaswag_preprocess(std::string_view raw) {
  std::string text(strip(raw));
  for (std::size_t at; (at = text.find(" [title]")) != std::string::npos;) {
    text.replace(at, 8, ". ");
  }
  std::string unbracketed;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::size_t close = text[i] == '[' ? text.find(']', i + 1) : std::string::npos;
    if (close != std::string::npos && text.find('\n', i) > close) {
      i = close;
    } else {
      unbracketed += text[i];
    }
  }
  std::string collapsed;
  for (std::size_t i = 0; i < unbracketed.size(); ++i) {
    collapsed += unbracketed[i];
    if (unbracketed[i] == ' ' && i + 1 < unbracketed.size() && unbracketed[i + 1] == ' ') ++i;
  }
  return collapsed;
}

}  // namespace

ChoiceItem multiple_choice(const std::string& context, std::vector<std::string> choices,
                           std::int64_t gold) {
  ChoiceItem item;
  for (const std::string& choice : choices) item.requests.push_back({context, " " + choice});
  item.choices = std::move(choices);
  item.gold = gold;
  return item;
}

namespace {

class TaskReader {
 public:
  TaskReader(const TaskDefinition& definition, ChoiceTask& task)
      : definition_(definition), task_(task) {}

  void read(const std::string& text) {
    if (definition_.format == Format::kHellaswag) {
      read_hellaswag(split_lines(text));
      return;
    }
    const std::vector<NumberedLine> records = nonblank_lines(text);
    std::vector<std::int64_t> labels;
    if (definition_.format == Format::kPiqa) labels = piqa_labels(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      const std::int64_t gold = labels.empty() ? -1 : labels[i];
      attempt(records[i].number,
              [&] { return from_json(parse_json(records[i].text, "the line"), gold); });
    }
  }

 private:
  // Adds the item `make` builds, or records why it could not be built.
  void attempt(std::int64_t line, const std::function<ChoiceItem()>& make) {
    const std::int64_t index = documents_++;
    try {
      ChoiceItem item = make();
      CLAW_CHECK(definition_.format == Format::kLambada || item.choices.size() >= 2,
                 "a multiple-choice item needs at least 2 choices, got ", item.choices.size());
      CLAW_CHECK(item.gold >= 0 && item.gold < static_cast<std::int64_t>(item.requests.size()),
                 "gold ", item.gold, " is not a choice index (0 to ", item.requests.size() - 1,
                 ")");
      item.line = line;
      item.index = index;
      task_.items.push_back(std::move(item));
    } catch (const Error& e) {
      task_.skipped.push_back(concat(task_.source, ":", line, ": ", e.what()));
    }
  }

  ChoiceItem from_json(const Json& doc, std::int64_t piqa_gold) const {
    CLAW_CHECK(doc.is_object(), "expected a JSON object");
    const std::string where = "the item";
    switch (definition_.format) {
      case Format::kPiqa:
        return multiple_choice(
            "Question: " + json_required<std::string>(doc, "goal", where) + "\nAnswer:",
            {json_required<std::string>(doc, "sol1", where),
             json_required<std::string>(doc, "sol2", where)},
            piqa_gold);
      case Format::kQueryChoices: {
        CLAW_CHECK(doc.contains("choices") && doc["choices"].is_array(),
                   "\"choices\" must be an array of strings");
        std::vector<std::string> choices;
        for (const Json& choice : doc["choices"]) {
          CLAW_CHECK(choice.is_string(), "\"choices\" must be an array of strings");
          choices.push_back(choice.get<std::string>());
        }
        const std::string context =
            definition_.query_prompt(json_required<std::string>(doc, "query", where));
        const auto gold = json_required<std::int64_t>(doc, "gold", where);
        if (definition_.name == "copa") {
          for (std::string& choice : choices) choice.insert(0, " ");
        }
        return multiple_choice(context, std::move(choices), gold);
      }
      case Format::kWinogrande: {
        CLAW_CHECK(doc.contains("context_options") && doc["context_options"].is_array(),
                   "\"context_options\" must be an array of strings");
        const std::string continuation =
            " " + std::string(strip(json_required<std::string>(doc, "continuation", where)));
        ChoiceItem item;
        for (const Json& option : doc["context_options"]) {
          CLAW_CHECK(option.is_string(), "\"context_options\" must be an array of strings");
          item.requests.push_back({option.get<std::string>(), continuation});
          item.choices.push_back(option.get<std::string>());
        }
        item.gold = json_required<std::int64_t>(doc, "gold", where);
        return item;
      }
      case Format::kLambada: {
        ChoiceItem item;
        item.requests.push_back({json_required<std::string>(doc, "context", where),
                                 " " + json_required<std::string>(doc, "continuation", where)});
        return item;
      }
      case Format::kHellaswag:
        break;
    }
    CLAW_FAIL("unreachable format");
  }

  // PIQA keeps its answers in "<stem>-labels.lst" beside "<stem>.jsonl", one 0/1 per item.
  std::vector<std::int64_t> piqa_labels(std::size_t items) const {
    const fs::path source = task_.source;
    const fs::path labels_path = source.parent_path() / (source.stem().string() + "-labels.lst");
    const std::string text = read_text_file(labels_path);  // the lines below point into it
    std::vector<std::int64_t> labels;
    for (const NumberedLine& line : nonblank_lines(text)) {
      const std::string_view label = strip(line.text);
      CLAW_CHECK(label == "0" || label == "1", labels_path.string(), ":", line.number,
                 ": expected a label 0 or 1, got '", label, "'");
      labels.push_back(label == "1");
    }
    CLAW_CHECK(labels.size() == items, labels_path.string(), " has ", labels.size(),
               " labels for the ", items, " items of ", source.string());
    return labels;
  }

  void read_hellaswag(std::vector<std::string_view> lines) {
    while (!lines.empty() && strip(lines.back()).empty()) lines.pop_back();
    for (std::size_t first = 0; first < lines.size(); first += 6) {
      attempt(static_cast<std::int64_t>(first + 1), [&] {
        CLAW_CHECK(first + 6 <= lines.size(), "the file ends inside an item (",
                   lines.size() - first, " of its 6 lines)");
        const std::string_view label = strip(lines[first + 1]);
        CLAW_CHECK(label.size() == 1 && label[0] >= '0' && label[0] <= '9',
                   "line 2 of an item must be the gold ending's index, got '", label, "'");
        std::vector<std::string> endings;
        for (std::size_t e = 2; e < 6; ++e)
          endings.push_back(hellaswag_preprocess(lines[first + e]));
        return multiple_choice(hellaswag_preprocess(lines[first]), std::move(endings),
                               label[0] - '0');
      });
    }
  }

  const TaskDefinition& definition_;
  ChoiceTask& task_;
  std::int64_t documents_ = 0;  // seen so far
};

}  // namespace

bool is_choice_task(std::string_view name) {
  const std::string_view task = name.substr(0, name.find(':'));
  return find_task(task) != nullptr || blimp_paradigm(task) != nullptr ||
         mmlu_subject(task) != nullptr || find_task_group(name).has_value();
}

ChoiceTask load_choice_task(const std::string& name, const ChoiceTaskOptions& options) {
  CLAW_CHECK(options.num_fewshot >= 0, "num_fewshot must not be negative");
  const std::size_t colon = name.find(':');
  const std::string task_name = name.substr(0, colon);
  const std::string path = colon == std::string::npos ? "" : name.substr(colon + 1);
  if (const BlimpParadigm* paradigm = blimp_paradigm(task_name)) {
    CLAW_CHECK(options.num_fewshot == 0, name, " is zero-shot: BLiMP has no few-shot examples");
    return read_blimp_task(
        name, *paradigm,
        path.empty() ? data_file(concat("blimp/", paradigm->uid, ".jsonl")).string() : path);
  }
  if (const MmluSubject* subject = mmlu_subject(task_name)) {
    return read_mmlu_task(name, *subject, path.empty() ? data_file("mmlu") : fs::path(path),
                          options.num_fewshot);
  }
  const TaskDefinition* definition = find_task(task_name);
  CLAW_CHECK(definition != nullptr, "unknown task '", name, "'; expected ",
             choice_task_names_help());
  CLAW_CHECK(options.num_fewshot == 0, name,
             " has no few-shot examples in claw; num_fewshot applies to MMLU only");
  CLAW_CHECK(!path.empty() || !definition->file.empty(), name,
             " needs a file: mc:PATH, e.g. mc:questions.jsonl");
  ChoiceTask task;
  task.name = name;
  task.source = path.empty() ? data_file(definition->file).string() : path;
  task.scoring = definition->format == Format::kLambada ? ChoiceScoring::kLastWord
                                                        : ChoiceScoring::kMultipleChoice;
  task.reports_acc_norm = definition->reports_acc_norm;
  task.prompt = definition->prompt;
  const std::string text = read_text_file(task.source);
  CLAW_CHECK(!strip(text).empty(), task.source, ": is empty");
  TaskReader(*definition, task).read(text);
  for (const std::string& problem : task.skipped) log::warn("skipped ", problem);
  CLAW_CHECK(!task.items.empty(), task.source, ": no usable item",
             task.skipped.empty() ? "" : concat(" (first problem: ", task.skipped.front(), ")"));
  return task;
}

std::string choice_task_names_help() {
  return "piqa, hellaswag, winogrande, arc_easy, arc_challenge, boolq, lambada, openbookqa, copa, "
         "blimp_<UID> (67 paradigms), mmlu_<subject> (57 subjects), the groups " +
         task_group_names_help() +
         " (TASK:PATH reads a file in TASK's format) or mc:PATH (any {\"query\", \"choices\", "
         "\"gold\"} JSONL)";
}

}  // namespace claw::data

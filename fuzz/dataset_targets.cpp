// Dataset files: the corpora, the zero-shot tasks and recovery data, each in every format claw
// reads. The input replaces the file a dataset name resolves to in the stand-in data directory.
#include <array>

#include "core/json.h"
#include "data/calibration.h"
#include "data/choice_task.h"
#include "data/corpus.h"
#include "fuzz/dataset_inputs.h"
#include "fuzz/targets.h"
#include "fuzz/workspace.h"

namespace claw::fuzz {
namespace {

constexpr std::array<DatasetFile, 5> kCorpora = {{{"wikitext2", kWikitext},
                                                  {"tinystories:test", kStories},
                                                  {"tinystories", kStories},
                                                  {"alpaca", kAlpaca},
                                                  {"text:", ""}}};

void run_corpus(std::string_view input) {
  const auto [choice, rest] = select_format(input, kCorpora.size());
  with_input_as(kCorpora[choice], rest,
                [](const std::string& name) { data::calibration_rows(data::load_corpus(name)); });
}

std::vector<Seed> corpus_seeds() {
  const Workspace& workspace = Workspace::get();
  return {selected_seed("wikitext2", 0, first_lines(workspace.stand_in(kWikitext), 40)),
          selected_seed("tinystories:test", 1, workspace.stand_in(kStories)),
          selected_seed("tinystories", 2, first_lines(workspace.stand_in(kStories), 20)),
          selected_seed("alpaca", 3, alpaca_records(4)),
          selected_seed("text", 4, first_lines(workspace.stand_in(kStories), 10))};
}

// PIQA's answers are a second file; its input is the questions, a NUL byte, then the answers.
constexpr const char* kPiqa = "piqa/valid.jsonl";
constexpr const char* kPiqaLabels = "piqa/valid-labels.lst";

constexpr std::array<DatasetFile, 9> kTasks = {{{"piqa", kPiqa},
                                                {"hellaswag", "hellaswag/hellaswag_val_full.txt"},
                                                {"winogrande", "eval-gauntlet/winogrande.jsonl"},
                                                {"arc_easy", "eval-gauntlet/arc_easy.jsonl"},
                                                {"boolq", "eval-gauntlet/boolq.jsonl"},
                                                {"lambada", "eval-gauntlet/lambada_openai.jsonl"},
                                                {"openbookqa", "eval-gauntlet/openbook_qa.jsonl"},
                                                {"copa", "eval-gauntlet/copa.jsonl"},
                                                {"mc:", ""}}};

void run_choice_task(std::string_view input) {
  const auto [choice, rest] = select_format(input, kTasks.size());
  const auto load = [](const std::string& name) { data::load_choice_task(name); };
  if (kTasks[choice].file == std::string_view(kPiqa)) {
    const std::size_t nul = rest.find('\0');
    const ReplacedDataFile labels(
        kPiqaLabels, nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1));
    with_input_as(kTasks[choice], rest.substr(0, nul), load);
  } else {
    with_input_as(kTasks[choice], rest, load);
  }
}

std::vector<Seed> choice_task_seeds() {
  const Workspace& workspace = Workspace::get();
  std::vector<Seed> seeds;
  for (std::size_t i = 0; i < kTasks.size(); ++i) {
    const std::string file =
        *kTasks[i].file != '\0' ? kTasks[i].file : "eval-gauntlet/arc_easy.jsonl";
    std::string bytes = workspace.stand_in(file);
    if (file == kPiqa) bytes += '\0' + workspace.stand_in(kPiqaLabels);
    seeds.push_back(selected_seed(kTasks[i].name, i, bytes));
  }
  return seeds;
}

}  // namespace

std::vector<FuzzTarget> dataset_targets() {
  return {
      {"corpus", "the corpus files (WikiText, TinyStories, Alpaca, plain text)", run_corpus,
       corpus_seeds},
      {"choice_task", "the zero-shot task files (PIQA, HellaSwag, WinoGrande, ARC, ...)",
       run_choice_task, choice_task_seeds},
  };
}

}  // namespace claw::fuzz

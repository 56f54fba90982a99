// Dataset files: the corpora, the zero-shot tasks and recovery data, each in every format claw
// reads. The input replaces the file a dataset name resolves to in the stand-in data directory.
#include <array>

#include "core/json.h"
#include "data/calibration.h"
#include "data/choice_task.h"
#include "data/corpus.h"
#include "fuzz/targets.h"
#include "fuzz/workspace.h"
#include "recover/training_data.h"
#include "text/llama2c_tokenizer.h"

namespace claw::fuzz {
namespace {

// A dataset name and the file it reads ("" for a name that takes the workspace file's path).
struct DatasetFile {
  const char* name;
  const char* file;
};

constexpr const char* kWikitext = "wikitext-2-raw/wiki.test.raw";
constexpr const char* kStories = "tinystories/tinystories_valid_first1000.txt";
constexpr const char* kAlpaca = "alpaca/alpaca_subset2000_longoutput.json";

// Loads `dataset` with `input` as its file: in place of its stand-in data file, or at a path
// appended to the name (text:PATH, mc:PATH, jsonl:PATH).
template <typename Load>
void with_input_as(const DatasetFile& dataset, std::string_view input, Load load) {
  if (*dataset.file != '\0') {
    const ReplacedDataFile replaced(dataset.file, input);
    load(std::string(dataset.name));
  } else {
    load(dataset.name + Workspace::get().write("dataset", input).string());
  }
}

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

// The first `count` Alpaca records of the stand-in.
std::string alpaca_records(std::size_t count) {
  const Json all = parse_json(Workspace::get().stand_in(kAlpaca), kAlpaca);
  return Json(std::vector<Json>(all.begin(), all.begin() + count)).dump(1);
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

// Recovery data: the Alpaca template, and JSONL of prompt/completion pairs or plain text, with
// and without loss on the prompt.
constexpr std::array<DatasetFile, 4> kTrainingData = {
    {{"alpaca:train", kAlpaca}, {"alpaca", kAlpaca}, {"jsonl:", ""}, {"jsonl:", ""}}};

const text::Tokenizer& stories_tokenizer() {
  static const text::Llama2cTokenizer tokenizer = text::Llama2cTokenizer::from_file(
      Workspace::get().real_data() / "models/stories260K/tok512.bin");
  return tokenizer;
}

void run_training_data(std::string_view input) {
  const auto [choice, rest] = select_format(input, kTrainingData.size());
  const bool prompt_loss = choice == 1 || choice == 3;
  with_input_as(kTrainingData[choice], rest, [&](const std::string& name) {
    const auto sequences = recover::training_sequences(name, stories_tokenizer(), 64, prompt_loss);
    recover::take_scored_tokens(sequences, 40, 2, 1, name);
  });
}

std::vector<Seed> training_data_seeds() {
  const std::string jsonl =
      R"({"prompt": "Once upon a time", "completion": " there was a cat."})"
      "\n"
      R"({"text": "Lily and Ben went to the park. They played all day long."})"
      "\n\n"
      R"({"prompt": "The end", "completion": "."})"
      "\n";
  return {selected_seed("alpaca", 1, alpaca_records(6)), selected_seed("jsonl", 2, jsonl),
          selected_seed("jsonl_prompt_loss", 3, jsonl)};
}

}  // namespace

std::vector<FuzzTarget> dataset_targets() {
  return {
      {"corpus", "the corpus files (WikiText, TinyStories, Alpaca, plain text)", run_corpus,
       corpus_seeds},
      {"choice_task", "the zero-shot task files (PIQA, HellaSwag, WinoGrande, ARC, ...)",
       run_choice_task, choice_task_seeds},
      {"training_data", "recovery data (Alpaca, JSONL prompt/completion or text)",
       run_training_data, training_data_seeds},
  };
}

}  // namespace claw::fuzz

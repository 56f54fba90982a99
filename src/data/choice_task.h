// Zero-shot evaluation sets posed as lm-evaluation-harness 0.4 poses them (docs/architecture.md,
// "Protocols"): each item becomes log-likelihood requests whose strings are exactly the
// harness's, so the scorer never needs to know which task it serves.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace claw::data {

// The log-likelihood of `continuation` following `context`.
struct LoglikelihoodRequest {
  std::string context, continuation;
};

enum class ChoiceScoring {
  kMultipleChoice,  // the prediction is the choice with the highest log-likelihood
  kLastWord,        // LAMBADA: one request; correct when greedy decoding produces it
};

struct ChoiceItem {
  std::int64_t line = 0;  // 1-based line where the item starts in its file
  // 0-based place among the file's documents, left-out ones counted: the harness's doc_id.
  std::int64_t index = 0;
  // One per choice (in choice order), or the single request of a kLastWord item.
  std::vector<LoglikelihoodRequest> requests;
  // The harness's doc_to_choice strings: acc_norm divides by their length in characters.
  std::vector<std::string> choices;
  std::int64_t gold = 0;
};

struct ChoiceTask {
  std::string name;    // as the user gave it, e.g. "piqa" or "mc:mmlu.jsonl"
  std::string source;  // the file the items were read from
  // What a group breaks its tasks down by: BLiMP's field, MMLU's category; empty elsewhere.
  std::string category;
  std::int64_t num_fewshot = 0;  // answered examples in each context
  ChoiceScoring scoring = ChoiceScoring::kMultipleChoice;
  bool reports_acc_norm = false;
  std::string prompt;  // how items became requests, for the protocol line
  std::vector<ChoiceItem> items;
  std::vector<std::string> skipped;  // "FILE:LINE: why" for every item that could not be used
};

// Multiple-choice requests: one shared context, each choice after lm-eval's " " delimiter.
ChoiceItem multiple_choice(const std::string& context, std::vector<std::string> choices,
                           std::int64_t gold);

// Whether `name` names a zero-shot task or a group of them (rather than a text corpus).
bool is_choice_task(std::string_view name);

struct ChoiceTaskOptions {
  std::int64_t num_fewshot = 0;  // answered examples before each question (MMLU only)
};

// The task called `name`: piqa, hellaswag, winogrande, arc_easy, arc_challenge, boolq, lambada,
// openbookqa, copa, blimp_<UID>, mmlu_<subject> with the files of the data directory;
// TASK:PATH for a file in TASK's format (a directory with test/ and dev/ for MMLU); mc:PATH for
// any {"query", "choices", "gold"} JSONL file, the query used as the context as it is. In the
// first nine, a malformed item is left out and listed in `skipped`, never dropped silently; in
// BLiMP and MMLU, fixed benchmarks, it is an error naming the file and line. A missing or empty
// file, or one without a usable item, is an error; so is num_fewshot > 0 for a task without
// few-shot examples. Groups (blimp, mmlu, ...) are expanded by data/task_groups.h.
ChoiceTask load_choice_task(const std::string& name, const ChoiceTaskOptions& options = {});

// The names load_choice_task knows, for help texts.
std::string choice_task_names_help();

}  // namespace claw::data

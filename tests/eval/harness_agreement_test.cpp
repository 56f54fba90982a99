// claw's zero-shot evaluation against an independent implementation of lm-evaluation-harness
// 0.4.4's semantics, written here from the task YAMLs: each task's requests built from its file
// by this file's own code, each distinct (context, continuation) token sequence scored once by a
// plain forward pass in double precision (as the harness scores identical requests from one
// computation), argmax taking the first of equal values (numpy). Per-item predictions (acc and
// acc_norm) must agree on every item checked. The first CLAW_AGREEMENT_ITEMS items of each task
// are checked (0: every item); by default 8, and 1 of each MMLU subject 5-shot, whose prompts
// fill the model's context.
#include <gtest/gtest.h>

#include <torch/types.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>

#include "core/csv.h"
#include "core/json.h"
#include "core/text_file.h"
#include "data/blimp.h"
#include "data/choice_task.h"
#include "data/mmlu.h"
#include "eval/zero_shot.h"
#include "model/decoder.h"
#include "model/load.h"
#include "support/test_support.h"
#include "text/load_tokenizer.h"

namespace claw::eval {
namespace {

using testing::data_path;

std::size_t items_to_check(std::size_t by_default) {
  const char* value = std::getenv("CLAW_AGREEMENT_ITEMS");
  return value ? static_cast<std::size_t>(std::atoll(value)) : by_default;
}

// One document as the harness's task YAML makes it.
struct Doc {
  std::vector<std::pair<std::string, std::string>> requests;  // (context, continuation)
  std::vector<std::string> choices;                           // for acc_norm's lengths
  std::int64_t gold = 0;
  bool last_word = false;
};

std::vector<Json> json_lines(const std::string& relative) {
  std::vector<Json> docs;
  std::ifstream in(data_path(relative));
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) docs.push_back(Json::parse(line));
  }
  return docs;
}

Doc choice_doc(const std::string& context, const std::vector<std::string>& choices,
               std::int64_t gold) {
  Doc doc{{}, choices, gold};
  for (const std::string& c : choices) doc.requests.push_back({context, " " + c});
  return doc;
}

// HellaSwag's utils.preprocess: strip, " [title]" -> ". ", re.sub("\\[.*?\\]", ""), "  " -> " ".
std::string hellaswag_preprocess(std::string text) {
  text = std::string(strip(text));
  for (std::size_t at; (at = text.find(" [title]")) != std::string::npos;) {
    text.replace(at, 8, ". ");
  }
  text = std::regex_replace(text, std::regex("\\[[^\\]\\n]*?\\]"), "");
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == ' ' && i + 1 < text.size() && text[i + 1] == ' ') ++i;
  }
  return out;
}

std::vector<Doc> docs_of(const std::string& task) {
  std::vector<Doc> docs;
  const auto strings = [](const Json& array) { return array.get<std::vector<std::string>>(); };
  if (const data::BlimpParadigm* p = data::blimp_paradigm(task)) {
    for (const Json& d : json_lines("blimp/" + std::string(p->uid) + ".jsonl")) {
      const std::string good = d["sentence_good"], bad = d["sentence_bad"];
      docs.push_back(choice_doc("", {good, bad}, 0));
    }
  } else if (task.rfind("mmlu_", 0) == 0) {
    const std::size_t shots_at = task.find('@');
    const std::string subject = task.substr(5, shots_at - 5);
    const auto shots = static_cast<std::size_t>(std::stoi(task.substr(shots_at + 1)));
    const auto rows = [&](const std::string& split) {
      const std::string path = data_path("mmlu/" + split + "/" + subject + "_" + split + ".csv");
      return parse_csv(read_text_file(path), path).rows;
    };
    const auto doc_to_text = [](const std::vector<std::string>& r) {
      return std::string(strip(r[0])) + "\nA. " + r[1] + "\nB. " + r[2] + "\nC. " + r[3] + "\nD. " +
             r[4] + "\nAnswer:";
    };
    std::string spaced = subject;
    std::replace(spaced.begin(), spaced.end(), '_', ' ');
    std::string prefix =
        "The following are multiple choice questions (with answers) about " + spaced + ".\n\n";
    const auto dev = rows("dev");
    for (std::size_t k = 0; k < shots; ++k) {
      prefix += doc_to_text(dev[k]) + " " + "ABCD"[std::stoi(dev[k][5])] + "\n\n";
    }
    for (const auto& r : rows("test")) {
      docs.push_back(choice_doc(prefix + doc_to_text(r), {"A", "B", "C", "D"}, std::stoi(r[5])));
    }
  } else if (task == "arc_easy" || task == "arc_challenge") {
    for (const Json& d : json_lines("eval-gauntlet/" + task + ".jsonl")) {
      // The gauntlet query is "Question: {question}"; the harness appends "\nAnswer:".
      docs.push_back(choice_doc(d["query"].get<std::string>() + "\nAnswer:", strings(d["choices"]),
                                d["gold"]));
    }
  } else if (task == "openbookqa") {
    for (const Json& d : json_lines("eval-gauntlet/openbook_qa.jsonl")) {
      docs.push_back(choice_doc(d["query"], strings(d["choices"]), d["gold"]));
    }
  } else if (task == "copa") {
    // The harness's copa choices are " " + lowercased-first choice; the delimiter adds " ".
    for (const Json& d : json_lines("eval-gauntlet/copa.jsonl")) {
      std::vector<std::string> choices;
      for (const std::string& c : strings(d["choices"])) choices.push_back(" " + c);
      docs.push_back(choice_doc(d["query"], choices, d["gold"]));
    }
  } else if (task == "boolq") {
    for (const Json& d : json_lines("eval-gauntlet/boolq.jsonl")) {
      std::string query = d["query"];
      query = query.substr(query.rfind("Passage: ", 0) == 0 ? 9 : 0) + "\nAnswer:";
      docs.push_back(choice_doc(query, strings(d["choices"]), d["gold"]));
    }
  } else if (task == "piqa") {
    const std::vector<Json> lines = json_lines("piqa/valid.jsonl");
    std::ifstream labels(data_path("piqa/valid-labels.lst"));
    for (const Json& d : lines) {
      int label = 0;
      labels >> label;
      docs.push_back(choice_doc("Question: " + d["goal"].get<std::string>() + "\nAnswer:",
                                {d["sol1"], d["sol2"]}, label));
    }
  } else if (task == "winogrande") {
    for (const Json& d : json_lines("eval-gauntlet/winogrande.jsonl")) {
      Doc doc;
      const std::string rest = " " + std::string(strip(d["continuation"].get<std::string>()));
      for (const std::string& option : strings(d["context_options"])) {
        doc.requests.push_back({option, rest});
        doc.choices.push_back(option);
      }
      doc.gold = d["gold"];
      docs.push_back(doc);
    }
  } else if (task == "lambada") {
    for (const Json& d : json_lines("eval-gauntlet/lambada_openai.jsonl")) {
      Doc doc;
      doc.requests.push_back({d["context"], " " + d["continuation"].get<std::string>()});
      doc.last_word = true;
      docs.push_back(doc);
    }
  } else if (task == "hellaswag") {
    std::ifstream in(data_path("hellaswag/hellaswag_val_full.txt"));
    std::vector<std::string> six(6);
    while (std::getline(in, six[0])) {
      for (int i = 1; i < 6; ++i) std::getline(in, six[i]);
      std::vector<std::string> endings;
      for (int i = 2; i < 6; ++i) endings.push_back(hellaswag_preprocess(six[i]));
      docs.push_back(choice_doc(hellaswag_preprocess(six[0]), endings, std::stoi(six[1])));
    }
  }
  return docs;
}

class Reference {
 public:
  Reference()
      : model_(model::load_model(data_path("models/stories260K/stories260K.bin"))),
        tokenizer_(text::load_tokenizer(data_path("models/stories260K/tok512.bin"))) {}

  const model::Model& model() const { return model_; }
  const text::Tokenizer& tokenizer() const { return *tokenizer_; }

  struct Score {
    double loglikelihood = 0;
    bool greedy = true;
  };

  // The harness's _encode_pair, then one cached plain forward per distinct token sequence.
  Score score(std::string context, std::string continuation) {
    const std::size_t kept = context.find_last_not_of(" \t\n\r\f\v");
    const std::size_t spaces =
        kept == std::string::npos ? context.size() : context.size() - kept - 1;
    continuation = context.substr(context.size() - spaces) + continuation;
    context.resize(context.size() - spaces);
    const text::EncodeOptions plain{false, true};
    std::vector<std::int32_t> ctx, cont;
    if (context.empty()) {
      ctx = {*tokenizer_->bos_id()};
      cont = tokenizer_->encode(continuation, plain);
    } else {
      const auto whole = tokenizer_->encode(context + continuation, plain);
      ctx = tokenizer_->encode(context, plain);
      cont.assign(whole.begin() + static_cast<std::ptrdiff_t>(ctx.size()), whole.end());
    }
    const auto key = std::make_pair(ctx, cont);
    if (const auto it = cache_.find(key); it != cache_.end()) return it->second;
    std::vector<std::int64_t> ids(ctx.begin(), ctx.end());
    ids.insert(ids.end(), cont.begin(), cont.end());
    const auto window = static_cast<std::size_t>(model_.config.max_position_embeddings) + 1;
    if (ids.size() > window)
      ids.erase(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(window));
    const torch::NoGradGuard no_grad;
    const torch::Tensor input =
        torch::tensor(std::vector<std::int64_t>(ids.begin(), ids.end() - 1)).unsqueeze(0);
    const torch::Tensor log_probs =
        at::log_softmax(model::forward(model_, input)[0].to(torch::kFloat64), -1);
    Score s;
    for (std::size_t t = ids.size() - cont.size(); t < ids.size(); ++t) {
      s.loglikelihood += log_probs[static_cast<std::int64_t>(t) - 1][ids[t]].item<double>();
      s.greedy =
          s.greedy &&
          log_probs[static_cast<std::int64_t>(t) - 1].argmax().item<std::int64_t>() == ids[t];
    }
    return cache_[key] = s;
  }

 private:
  model::Model model_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::map<std::pair<std::vector<std::int32_t>, std::vector<std::int32_t>>, Score> cache_;
};

std::int64_t first_argmax(const std::vector<double>& v) {
  return std::max_element(v.begin(), v.end()) - v.begin();
}

double code_points(const std::string& s) {
  return static_cast<double>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

void check_task(Reference& reference, const std::string& task, const std::string& claw_name,
                std::int64_t num_fewshot) {
  const std::vector<Doc> docs = docs_of(task);
  ASSERT_FALSE(docs.empty()) << task;
  const data::ChoiceTask loaded = data::load_choice_task(claw_name, {num_fewshot});
  ZeroShotOptions options;
  options.limit = static_cast<std::int64_t>(items_to_check(num_fewshot > 0 ? 1 : 8));
  options.progress = false;
  options.keep_samples = true;
  const ZeroShotResult result =
      evaluate_zero_shot(reference.model(), reference.tokenizer(), loaded, options);
  std::size_t checked = 0;
  for (const ScoredItem& item : result.samples) {
    // doc_id is the place among the file's documents, as the harness counts them.
    const Doc& doc = docs.at(static_cast<std::size_t>(item.doc_id));
    ASSERT_EQ(doc.requests.size(), item.item->requests.size()) << task << " doc " << item.doc_id;
    std::vector<double> ll, per_char;
    bool greedy = true;
    for (std::size_t c = 0; c < doc.requests.size(); ++c) {
      ASSERT_EQ(doc.requests[c].first, item.item->requests[c].context)
          << task << " " << item.doc_id;
      ASSERT_EQ(doc.requests[c].second, item.item->requests[c].continuation);
      const Reference::Score s = reference.score(doc.requests[c].first, doc.requests[c].second);
      ll.push_back(s.loglikelihood);
      greedy = s.greedy;
      if (!doc.choices.empty()) per_char.push_back(s.loglikelihood / code_points(doc.choices[c]));
    }
    if (doc.last_word) {
      EXPECT_EQ(greedy, item.scores.front().greedy) << task << " doc " << item.doc_id;
    } else {
      EXPECT_EQ(first_argmax(ll), item.prediction) << task << " doc " << item.doc_id;
      if (item.prediction_norm >= 0) {
        EXPECT_EQ(first_argmax(per_char), item.prediction_norm) << task << " doc " << item.doc_id;
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 0u) << task;
}

Reference& reference() {
  static Reference instance;
  return instance;
}

TEST(HarnessAgreement, Blimp) {
  for (const data::BlimpParadigm& p : data::blimp_paradigms()) {
    const std::string name = "blimp_" + std::string(p.uid);
    check_task(reference(), name, name, 0);
  }
}

TEST(HarnessAgreement, MmluZeroAndFiveShot) {
  for (const data::MmluSubject& s : data::mmlu_subjects()) {
    const std::string name = "mmlu_" + std::string(s.name);
    for (const std::int64_t shots : {0, 5}) {
      check_task(reference(), name + "@" + std::to_string(shots), name, shots);
    }
  }
}

TEST(HarnessAgreement, TheOtherTasks) {
  for (const std::string task : {"arc_easy", "arc_challenge", "openbookqa", "copa", "boolq", "piqa",
                                 "winogrande", "lambada", "hellaswag"}) {
    check_task(reference(), task, task, 0);
  }
}

TEST(HarnessAgreement, DuplicatedChoicesTieToTheFirst) {
  // ARC-Challenge doc 121 offers " faster" twice; both score identically, so the first wins.
  const std::vector<Doc> docs = docs_of("arc_challenge");
  const Doc& doc = docs.at(121);
  ASSERT_EQ(doc.choices[0], doc.choices[2]);
  ZeroShotOptions options;
  options.progress = false;
  options.keep_samples = true;
  data::ChoiceTask task = data::load_choice_task("arc_challenge");
  task.items = {task.items.at(121)};
  const ZeroShotResult result =
      evaluate_zero_shot(reference().model(), reference().tokenizer(), task, options);
  const ScoredItem& item = result.samples.at(0);
  EXPECT_EQ(item.scores[0].loglikelihood, item.scores[2].loglikelihood);
  EXPECT_EQ(item.prediction,
            first_argmax({item.scores[0].loglikelihood, item.scores[1].loglikelihood,
                          item.scores[2].loglikelihood, item.scores[3].loglikelihood}));
  EXPECT_NE(item.prediction, 2);
}

}  // namespace
}  // namespace claw::eval

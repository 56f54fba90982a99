#include "data/corpus.h"

#include <filesystem>
#include <string_view>

#include "core/data_dir.h"
#include "core/error.h"
#include "core/text_file.h"
#include "data/alpaca.h"
#include "data/task_lines.h"

namespace claw::data {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kEndOfText = "<|endoftext|>";
void add_document(std::vector<std::string>& documents, std::string_view text) {
  const std::string_view stripped = strip(text);
  if (!stripped.empty()) documents.emplace_back(stripped);
}

std::vector<std::string> split_at_end_of_text(std::string_view text) {
  std::vector<std::string> documents;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(kEndOfText, start);
    add_document(documents, text.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + kEndOfText.size();
  }
  return documents;
}

// WikiText articles start at a top-level heading line " = Title = " (subsections have "= =").
std::vector<std::string> wikitext_articles(std::string_view text) {
  std::vector<std::string> articles;
  std::size_t article_start = 0;
  for (std::size_t line_start = 0; line_start < text.size();) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view line = text.substr(line_start, line_end - line_start);
    const bool heading = line.size() > 6 && line.substr(0, 3) == " = " && line[3] != '=' &&
                         line.substr(line.size() - 3) == " = ";
    if (heading && line_start > article_start) {
      add_document(articles, text.substr(article_start, line_start - article_start));
      article_start = line_start;
    }
    line_start = line_end + 1;
  }
  add_document(articles, text.substr(article_start));
  return articles;
}

std::string join_documents(const std::vector<std::string>& documents) {
  std::string text;
  for (const std::string& document : documents) {
    if (!text.empty()) text += "\n\n";
    text += document;
  }
  return text;
}

// The named split of a document corpus: the first `train` or the last `test` documents.
void keep_split(Corpus& corpus, const std::string& split, std::size_t train, std::size_t test) {
  if (split.empty()) return;
  CLAW_CHECK(split == "train" || split == "test", corpus.name, ": unknown split '", split,
             "' (expected train or test)");
  CLAW_CHECK(corpus.documents.size() >= train + test, corpus.source, ": has ",
             corpus.documents.size(), " documents; the train/test split needs ", train + test);
  auto& docs = corpus.documents;
  if (split == "train") {
    docs.erase(docs.begin() + static_cast<std::ptrdiff_t>(train), docs.end());
  } else {
    docs.erase(docs.begin(), docs.end() - static_cast<std::ptrdiff_t>(test));
  }
  corpus.text = join_documents(docs);
}

}  // namespace

Corpus load_corpus(const std::string& name) {
  const std::size_t colon = name.find(':');
  const std::string dataset = name.substr(0, colon);
  const std::string variant = colon == std::string::npos ? "" : name.substr(colon + 1);
  Corpus corpus;
  corpus.name = name;
  if (dataset == "text") {
    CLAW_CHECK(!variant.empty(), "text:PATH needs a path, e.g. text:notes.txt");
    corpus.source = variant;
    corpus.text = read_text_file(variant);
    corpus.documents = split_at_end_of_text(corpus.text);
  } else if (dataset == "wikitext2") {
    CLAW_CHECK(variant.empty() || variant == "test" || variant == "valid" || variant == "train",
               name, ": unknown split '", variant, "' (expected test, valid or train)");
    corpus.source =
        data_file(concat("wikitext-2-raw/wiki.", variant.empty() ? "test" : variant, ".raw"))
            .string();
    corpus.text = read_text_file(corpus.source);
    corpus.documents = wikitext_articles(corpus.text);
  } else if (dataset == "ptb") {
    CLAW_CHECK(!variant.empty(),
               "ptb:PATH needs the path of a Penn Treebank file in the Mikolov format, e.g. "
               "ptb:ptb.test.txt (claw does not ship it: the LDC licence forbids)");
    corpus.source = variant;
    // One sentence a line with a leading space; the reference codebases (GPTQ, SparseGPT,
    // Wanda, LLM-Pruner) read HF's ptb_text_only, whose sentences are the stripped lines, and
    // score " ".join(sentences) as one running text.
    const std::string file = read_text_file(variant);
    for (const std::string_view line : split_lines(file)) add_document(corpus.documents, line);
    for (const std::string& sentence : corpus.documents) {
      if (!corpus.text.empty()) corpus.text += ' ';
      corpus.text += sentence;
    }
  } else if (dataset == "tinystories") {
    corpus.layout = TextLayout::kDocuments;
    corpus.source = data_file("tinystories/tinystories_valid_first1000.txt").string();
    corpus.documents = split_at_end_of_text(read_text_file(corpus.source));
    corpus.text = join_documents(corpus.documents);
    keep_split(corpus, variant, 800, 200);
  } else if (dataset == "alpaca") {
    corpus.layout = TextLayout::kDocuments;
    corpus.source = data_file("alpaca/alpaca_subset2000_longoutput.json").string();
    for (const AlpacaRecord& record : read_alpaca(corpus.source)) {
      corpus.documents.push_back(alpaca_prompt(record) + record.output);
    }
    corpus.text = join_documents(corpus.documents);
    keep_split(corpus, variant, 1800, 200);
  } else {
    CLAW_FAIL("unknown dataset '", name, "'; expected ", corpus_names_help());
  }
  CLAW_CHECK(!strip(corpus.text).empty(), corpus.source, ": holds no text");
  return corpus;
}

std::string corpus_names_help() {
  return "wikitext2, wikitext2:valid, wikitext2:train, tinystories, tinystories:train, "
         "tinystories:test, alpaca, alpaca:train, alpaca:test, ptb:PATH (Penn Treebank, "
         "Mikolov's ptb.test.txt format) or text:PATH";
}

}  // namespace claw::data

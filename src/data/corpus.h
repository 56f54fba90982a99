// Text corpora for intrinsic evaluation and training, by dataset name or path.
#pragma once

#include <string>
#include <vector>

namespace claw::data {

// How a corpus is scored by default: as one running text cut into windows (WikiText-2, plain
// text) or document by document (TinyStories, Alpaca).
enum class TextLayout { kRunningText, kDocuments };

struct Corpus {
  std::string name;    // as the user gave it, e.g. "tinystories:test"
  std::string source;  // the file it was read from
  TextLayout layout = TextLayout::kRunningText;
  // The text as the file has it (for windows), and the same text as documents.
  std::string text;
  std::vector<std::string> documents;
};

// The corpus called `name`:
//   wikitext2 | wikitext2:test | wikitext2:valid | wikitext2:train
//        WikiText-2 raw; documents are its articles (the train split only where the data
//        directory has wiki.train.raw)
//   tinystories | tinystories:train | tinystories:test
//        the 1,000-story TinyStories slice, stories separated by <|endoftext|>; train is the
//        first 800 stories and test the last 200
//   alpaca | alpaca:train | alpaca:test
//        the 2,000-record Alpaca subset, each record one document in the Alpaca template; train
//        is the first 1,800 and test the last 200
//   ptb:PATH     Penn Treebank in Mikolov's format (ptb.test.txt: one sentence a line), a
//        running text of the stripped sentences joined by " " as the reference codebases
//        score it; documents are the sentences
//   text:PATH    any UTF-8 file, a running text; documents are separated by <|endoftext|>
// An unknown name, a missing file or a corpus with no text is an error that says so.
Corpus load_corpus(const std::string& name);

// The names load_corpus knows, for help texts.
std::string corpus_names_help();

}  // namespace claw::data

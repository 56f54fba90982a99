#include "fuzz/workspace.h"

#include <stdlib.h>

#include <fstream>
#include <vector>

#include "core/data_dir.h"
#include "core/error.h"
#include "core/json.h"
#include "core/text_file.h"
#include "data/blimp.h"

namespace claw::fuzz {
namespace fs = std::filesystem;

namespace {

// Each TinyStories story cut to its first line: the split into train and test still needs all
// 1000 stories, but not their length.
std::string first_line_of_each_story(std::string_view text) {
  constexpr std::string_view kEndOfText = "<|endoftext|>";
  std::string out;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find(kEndOfText, start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view story = strip(text.substr(start, end - start));
    out += story.substr(0, story.find('\n'));
    out += "\n";
    if (end < text.size()) out += std::string(kEndOfText) + "\n";
    start = end + kEndOfText.size();
  }
  return out;
}

// Every Alpaca record, each field cut short.
std::string short_alpaca_records(const std::string& text, const std::string& source) {
  Json records = parse_json(text, source);
  for (Json& record : records) {
    for (auto& [key, value] : record.items()) {
      if (value.is_string()) value = std::string(utf8_prefix(value.get<std::string>(), 24));
    }
  }
  return records.dump();
}

}  // namespace

std::string first_lines(std::string_view text, std::size_t count) {
  std::size_t end = 0;
  for (std::size_t line = 0; line < count && end < text.size(); ++line) {
    const std::size_t newline = text.find('\n', end);
    end = newline == std::string_view::npos ? text.size() : newline + 1;
  }
  return std::string(text.substr(0, end));
}

std::string_view utf8_prefix(std::string_view text, std::size_t size) {
  if (text.size() <= size) return text;
  // Back off over continuation bytes (10xxxxxx) to the start of the character cut in two.
  while (size > 0 && (static_cast<unsigned char>(text[size]) & 0xC0) == 0x80) --size;
  return text.substr(0, size);
}

Workspace& Workspace::get() {
  static Workspace workspace;
  return workspace;
}

Workspace::Workspace() : real_data_(data_dir()) {
  std::string pattern = (fs::temp_directory_path() / "claw-fuzz-XXXXXX").string();
  CLAW_CHECK(::mkdtemp(pattern.data()) != nullptr, pattern, ": cannot create a directory");
  root_ = pattern;

  auto real = [&](const std::string& relative) { return read_text_file(real_data_ / relative); };
  for (const char* split : {"test", "valid"}) {
    const std::string file = concat("wikitext-2-raw/wiki.", split, ".raw");
    add_stand_in(file, first_lines(real(file), 200));
  }
  const std::string stories = "tinystories/tinystories_valid_first1000.txt";
  add_stand_in(stories, first_line_of_each_story(real(stories)));
  const std::string alpaca = "alpaca/alpaca_subset2000_longoutput.json";
  add_stand_in(alpaca, short_alpaca_records(real(alpaca), alpaca));
  add_stand_in("hellaswag/hellaswag_val_full.txt",
               first_lines(real("hellaswag/hellaswag_val_full.txt"), 6 * 8));
  for (const char* file :
       {"piqa/valid.jsonl", "piqa/valid-labels.lst", "eval-gauntlet/winogrande.jsonl",
        "eval-gauntlet/arc_easy.jsonl", "eval-gauntlet/arc_challenge.jsonl",
        "eval-gauntlet/boolq.jsonl", "eval-gauntlet/lambada_openai.jsonl",
        "eval-gauntlet/openbook_qa.jsonl", "eval-gauntlet/copa.jsonl"}) {
    add_stand_in(file, first_lines(real(file), 8));
  }
  for (const data::BlimpParadigm& paradigm : data::blimp_paradigms()) {
    const std::string file = concat("blimp/", paradigm.uid, ".jsonl");
    add_stand_in(file, first_lines(real(file), 8));
  }
  // Models and tokenizers are read, never replaced: the real ones serve.
  for (const char* shared : {"models", "tokenizers"}) {
    fs::create_symlink(real_data_ / shared, root_ / "data" / shared);
  }
  set_data_dir_override(root_ / "data");
}

Workspace::~Workspace() {
  std::error_code ignored;
  fs::remove_all(root_, ignored);
}

void Workspace::add_stand_in(const std::string& relative, std::string contents) {
  write(fs::path("data") / relative, contents);
  stand_ins_[relative] = std::move(contents);
}

fs::path Workspace::write(const fs::path& relative, std::string_view bytes) const {
  const fs::path path = root_ / relative;
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  CLAW_CHECK(out.good(), path.string(), ": cannot write a fuzz input");
  return path;
}

const std::string& Workspace::stand_in(const std::string& relative) const {
  const auto it = stand_ins_.find(relative);
  CLAW_CHECK(it != stand_ins_.end(), relative, ": no stand-in data file");
  return it->second;
}

ReplacedDataFile::ReplacedDataFile(const std::string& relative, std::string_view bytes)
    : relative_(relative) {
  Workspace::get().write(fs::path("data") / relative, bytes);
}

ReplacedDataFile::~ReplacedDataFile() {
  Workspace& workspace = Workspace::get();
  workspace.write(fs::path("data") / relative_, workspace.stand_in(relative_));
}

}  // namespace claw::fuzz

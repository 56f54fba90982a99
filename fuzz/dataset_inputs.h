// A fuzzed input in place of a dataset's file, for the targets that read datasets by name
// (corpora, zero-shot tasks, recovery data).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "fuzz/workspace.h"

namespace claw::fuzz {

// A dataset name and the file it reads ("" for a name that takes the workspace file's path).
struct DatasetFile {
  const char* name;
  const char* file;
};

inline constexpr const char* kWikitext = "wikitext-2-raw/wiki.test.raw";
inline constexpr const char* kStories = "tinystories/tinystories_valid_first1000.txt";
inline constexpr const char* kAlpaca = "alpaca/alpaca_subset2000_longoutput.json";

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

// The first `count` Alpaca records of the stand-in.
inline std::string alpaca_records(std::size_t count) {
  const Json all = parse_json(Workspace::get().stand_in(kAlpaca), kAlpaca);
  return Json(std::vector<Json>(all.begin(), all.begin() + count)).dump(1);
}

}  // namespace claw::fuzz

// Comma-separated tables (RFC 4180): quoted fields may hold commas, quotes ("") and line breaks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace claw {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as wide as the header
  std::vector<std::int64_t> lines;             // the line each row starts on, for messages

  // The index of `column` in the header; an error naming `source` when it is absent.
  std::size_t column(const std::string& name, const std::string& source) const;
};

// The first record is the header. Blank lines are skipped; a row of another width than the
// header, or an unterminated quote, is an error naming `source` and the line.
CsvTable parse_csv(std::string_view text, const std::string& source);

}  // namespace claw

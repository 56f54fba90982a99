#include "core/csv.h"

#include <algorithm>

#include "core/error.h"

namespace claw {

std::size_t CsvTable::column(const std::string& name, const std::string& source) const {
  const auto it = std::find(header.begin(), header.end(), name);
  CLAW_CHECK(it != header.end(), source, ": no column '", name, "' in the header");
  return static_cast<std::size_t>(it - header.begin());
}

CsvTable parse_csv(std::string_view text, const std::string& source) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::int64_t> starts;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, field_started = false;
  std::int64_t line = 1, record_line = 1;
  auto end_record = [&] {
    const bool blank = record.empty() && field.empty() && !field_started;
    if (!blank) {
      record.push_back(std::move(field));
      records.push_back(std::move(record));
      starts.push_back(record_line);
    }
    record.clear();
    field.clear();
    field_started = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"') {
      CLAW_CHECK(field.empty(), source, ":", line, ": a quote inside an unquoted field");
      quoted = field_started = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_record();
      record_line = ++line;
    } else {
      field += c;
    }
  }
  CLAW_CHECK(!quoted, source, ":", record_line, ": a quoted field is not closed");
  end_record();

  CsvTable table;
  CLAW_CHECK(!records.empty(), source, ": empty file; expected a header line");
  table.header = std::move(records.front());
  for (std::size_t r = 1; r < records.size(); ++r) {
    CLAW_CHECK(records[r].size() == table.header.size(), source, ":", starts[r], ": ",
               records[r].size(), " fields where the header has ", table.header.size());
    table.rows.push_back(std::move(records[r]));
    table.lines.push_back(starts[r]);
  }
  return table;
}

}  // namespace claw

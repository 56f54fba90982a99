#include "laws/results_file.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "core/csv.h"
#include "core/error.h"
#include "core/json.h"
#include "core/text_file.h"

namespace claw::laws {
namespace fs = std::filesystem;
namespace {

constexpr const char* kColumns[] = {"model",  "task",   "method", "ratio",
                                    "tokens", "metric", "value",  "base_value"};
// Optional: an accuracy's chance level, the standard error of its base value, and how recovery
// trained.
constexpr const char* kOptionalColumns[] = {"chance", "base_std_error", "objective"};
constexpr const char* kKeys = "model, task, method, metric, ratio, tokens, objective";

double parse_number(const std::string& text, const std::string& where, const char* column) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  CLAW_CHECK(!text.empty() && end == begin + text.size(), where, ": column '", column,
             "' must be a number, got '", text, "'");
  return value;
}

// `fields` holds kColumns, then kOptionalColumns (empty when absent).
Observation from_fields(const std::vector<std::string>& fields, const std::string& source,
                        std::int64_t line) {
  Observation o;
  o.source = source;
  o.line = line;
  const std::string where = o.where();
  o.model = fields[0];
  o.task = fields[1];
  o.method = fields[2];
  o.ratio = parse_number(fields[3], where, "ratio");
  o.tokens = parse_number(fields[4], where, "tokens");
  o.metric = fields[5];
  o.value = parse_number(fields[6], where, "value");
  o.base_value = parse_number(fields[7], where, "base_value");
  if (!fields[8].empty()) o.chance = parse_number(fields[8], where, "chance");
  if (!fields[9].empty()) o.base_std_error = parse_number(fields[9], where, "base_std_error");
  o.objective = fields[10];
  return o;
}

std::vector<Observation> read_csv(const fs::path& path) {
  const std::string source = path.string();
  const CsvTable table = parse_csv(read_text_file(path), source);
  std::vector<std::size_t> index;
  for (const char* column : kColumns) index.push_back(table.column(column, source));
  std::vector<std::optional<std::size_t>> optional_index;
  for (const char* column : kOptionalColumns) {
    const auto at = std::find(table.header.begin(), table.header.end(), column);
    optional_index.push_back(at == table.header.end() ? std::nullopt
                                                      : std::optional(static_cast<std::size_t>(
                                                            at - table.header.begin())));
  }
  std::vector<Observation> observations;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    std::vector<std::string> fields;
    for (const std::size_t i : index) fields.push_back(table.rows[r][i]);
    for (const auto& i : optional_index) fields.push_back(i ? table.rows[r][*i] : "");
    observations.push_back(from_fields(fields, source, table.lines[r]));
  }
  return observations;
}

std::vector<Observation> read_jsonl(const fs::path& path) {
  const std::string source = path.string();
  const std::string text = read_text_file(path);
  std::vector<Observation> observations;
  std::size_t start = 0;
  for (std::int64_t line = 1; start < text.size(); ++line) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view row(text.data() + start, end - start);
    start = end + 1;
    if (row.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = concat(source, ":", line);
    const Json object = parse_json(row, where);
    std::vector<std::string> fields;
    for (const char* column : kColumns) {
      CLAW_CHECK(object.is_object() && object.contains(column), where, ": missing column '", column,
                 "'");
      const Json& value = object[column];
      fields.push_back(value.is_string() ? value.get<std::string>() : value.dump());
    }
    for (const char* column : kOptionalColumns) {
      const bool present = object.contains(column) && !object[column].is_null();
      fields.push_back(!present                     ? ""
                       : object[column].is_string() ? object[column].get<std::string>()
                                                    : object[column].dump());
    }
    observations.push_back(from_fields(fields, source, line));
  }
  return observations;
}

}  // namespace

std::vector<Observation> read_results(const fs::path& path) {
  const std::string extension = path.extension().string();
  if (extension == ".csv") return read_csv(path);
  if (extension == ".jsonl" || extension == ".json") return read_jsonl(path);
  CLAW_FAIL(path.string(), ": results must be .csv or .jsonl (one JSON object per line)");
}

std::string observation_field(const Observation& o, const std::string& key) {
  if (key == "model") return o.model;
  if (key == "task") return o.task;
  if (key == "method") return o.method;
  if (key == "metric") return o.metric;
  if (key == "ratio") return concat(o.ratio);
  if (key == "tokens") return concat(o.tokens);
  if (key == "objective") return o.objective;
  CLAW_FAIL("unknown field '", key, "'; known: ", kKeys);
}

Condition parse_condition(const std::string& text) {
  const std::size_t equals = text.find('=');
  CLAW_CHECK(equals != std::string::npos && equals > 0, "--where takes KEY=VALUE, got '", text,
             "'");
  Condition c{text.substr(0, equals), text.substr(equals + 1)};
  observation_field(Observation{}, c.key);  // refuses unknown keys
  return c;
}

std::vector<Observation> select_observations(const std::vector<Observation>& all,
                                             const std::string& metric,
                                             const std::vector<Condition>& where) {
  std::vector<Observation> selected;
  for (const Observation& o : all) {
    bool keep = o.metric == metric;
    for (const Condition& c : where) {
      if (!keep) break;
      if (c.key == "objective" && o.tokens == 0) {
        keep = true;  // nothing was trained: where every objective starts from
      } else if (c.key == "ratio" || c.key == "tokens") {
        const double wanted = parse_number(c.value, "--where", c.key.c_str());
        keep = (c.key == "ratio" ? o.ratio : o.tokens) == wanted;
      } else {
        keep = observation_field(o, c.key) == c.value;
      }
    }
    if (keep) selected.push_back(o);
  }
  return selected;
}

std::map<std::string, std::vector<Observation>> group_observations(
    const std::vector<Observation>& observations, const std::string& key) {
  std::map<std::string, std::vector<Observation>> groups;
  // Unrecovered rows join every objective's group, when some row was recovered.
  const bool by_objective =
      key == "objective" && std::any_of(observations.begin(), observations.end(),
                                        [](const Observation& o) { return o.tokens > 0; });
  for (const Observation& o : observations) {
    if (by_objective && o.tokens == 0) continue;  // added to every group below
    groups[key.empty() ? "" : observation_field(o, key)].push_back(o);
  }
  if (by_objective) {
    for (auto& [objective, rows] : groups) {
      for (const Observation& o : observations) {
        if (o.tokens == 0) rows.push_back(o);
      }
    }
  }
  return groups;
}

}  // namespace claw::laws

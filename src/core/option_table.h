// Options declared once, read by every front end. A library (a compression method, recovery)
// declares each of its options here with its type, default, range and help; the command line
// makes `--lora-rank` of `lora_rank`, a study reads the TOML key `lora_rank`, and the settings
// JSON that records a result uses the same name. Values travel as one JSON object.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace claw {

enum class OptionKind { kInteger, kNumber, kText, kFlag, kTextList };

// "an integer", "a number", ... for messages.
std::string option_kind_name(OptionKind kind);
// "integer", "number", "text", "flag", "list", for tables.
std::string option_kind_label(OptionKind kind);

// A bad option value, raised by the library with the field's own name ("lora_rank must be at
// least 1"); a front end re-raises it in its own spelling (`--lora-rank`, `recovery.lora_rank`).
class OptionError : public Error {
 public:
  OptionError(std::string field, std::string problem);
  const std::string& field() const { return field_; }
  const std::string& problem() const { return problem_; }  // the message without the field

 private:
  std::string field_, problem_;
};

struct OptionSpec {
  std::string name{};  // snake_case: the TOML and JSON key; the flag is --name with dashes
  OptionKind kind = OptionKind::kInteger;
  Json default_value{};  // null: no default; the option must then be given, unless optional
  std::string help{};
  bool optional = false;  // may stay null: the library derives a value
  // A bound option (core/option_binding.h) whose field's initial value is no default: it must be
  // given. (An unbound option says so with a null default_value.)
  bool required = false;
  // Numbers and integers: the smallest allowed value, and whether it is itself excluded.
  std::optional<double> minimum{};
  bool minimum_excluded = false;
  std::optional<double> maximum{};
  bool maximum_excluded = false;
  std::vector<std::string> choices{};  // texts: the allowed values, when the set is closed
  // Checks a value the range cannot express (a known corpus); throws claw::Error saying why.
  std::function<void(const Json&)> check{};
  // False for options that do not change the result (where to save a by-product); they stay
  // out of the recorded settings and out of study files.
  bool recorded = true;
  // A text naming a file the method writes: front ends check it is writable before any work.
  bool output_file = false;
  // False for an option added once stores existed: at its default it stays out of experiment
  // keys (OptionTable::keyed), so every store written before it resumes.
  bool keyed_at_default = true;
};

// The command-line spelling of an option name: lora_rank → --lora-rank.
std::string flag_name(const std::string& option);

class OptionTable {
 public:
  OptionTable() = default;
  explicit OptionTable(std::vector<OptionSpec> specs);

  const std::vector<OptionSpec>& specs() const { return specs_; }
  const OptionSpec* find(const std::string& name) const;
  // This table followed by `other`'s options; an error when a name repeats.
  OptionTable with(const OptionTable& other) const;

  // Every option that has a default, at its default.
  Json defaults() const;
  // `values` with the defaults filled in, each value checked for type, range, choices and its
  // own check; OptionError names the first bad field. Unknown keys are errors too.
  Json complete(Json values) const;
  // The recorded options of complete `values`, for settings JSON.
  Json recorded(const Json& values) const;
  // What of `values` (complete, or recorded) enters an experiment key: the recorded options but
  // those not keyed at their default that hold it.
  Json keyed(const Json& values) const;
  // The value's text as a user would type it: 0.001, pca, "a,b".
  static std::string value_text(const Json& value);
  // Parses `text` as a value of `spec`'s kind; OptionError when it is not one.
  static Json parse_value(const OptionSpec& spec, const std::string& text);

 private:
  std::vector<OptionSpec> specs_;
};

// A value of a complete option set, typed.
template <typename T>
T option(const Json& values, const std::string& name) {
  const auto it = values.find(name);
  CLAW_CHECK(it != values.end() && !it->is_null(), "option ", name, " has no value");
  return it->get<T>();
}

}  // namespace claw

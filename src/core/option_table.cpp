#include "core/option_table.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/format.h"

namespace claw {
namespace {

void check_range(const OptionSpec& spec, double v) {
  if (spec.minimum) {
    const bool low = spec.minimum_excluded ? !(v > *spec.minimum) : !(v >= *spec.minimum);
    if (low) {
      const std::string bound =
          spec.minimum_excluded && *spec.minimum == 0
              ? "must be positive"
              : concat("must be ", spec.minimum_excluded ? "above " : "at least ",
                       OptionTable::value_text(*spec.minimum));
      throw OptionError(spec.name, concat(bound, ", not ", OptionTable::value_text(v)));
    }
  }
  if (spec.maximum && (spec.maximum_excluded ? !(v < *spec.maximum) : !(v <= *spec.maximum))) {
    throw OptionError(spec.name, concat("must be ", spec.maximum_excluded ? "below " : "at most ",
                                        OptionTable::value_text(*spec.maximum), ", not ",
                                        OptionTable::value_text(v)));
  }
}

void check_value(const OptionSpec& spec, const Json& value) {
  const auto wrong_type = [&] {
    throw OptionError(spec.name, concat("must be ", option_kind_name(spec.kind), ", not ",
                                        OptionTable::value_text(value)));
  };
  switch (spec.kind) {
    case OptionKind::kInteger:
      if (!value.is_number_integer()) wrong_type();
      check_range(spec, value.get<double>());
      break;
    case OptionKind::kNumber:
      if (!value.is_number() || !std::isfinite(value.get<double>())) wrong_type();
      check_range(spec, value.get<double>());
      break;
    case OptionKind::kText:
      if (!value.is_string()) wrong_type();
      if (!spec.choices.empty() && std::find(spec.choices.begin(), spec.choices.end(),
                                             value.get<std::string>()) == spec.choices.end()) {
        throw OptionError(spec.name, concat("must be one of ", join(spec.choices), ", not '",
                                            value.get<std::string>(), "'"));
      }
      break;
    case OptionKind::kFlag:
      if (!value.is_boolean()) wrong_type();
      break;
    case OptionKind::kTextList:
      if (!value.is_array() ||
          !std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_string(); })) {
        wrong_type();
      }
      break;
  }
  if (spec.check) {
    try {
      spec.check(value);
    } catch (const OptionError&) {
      throw;
    } catch (const Error& e) {
      throw OptionError(spec.name, e.what());
    }
  }
}

}  // namespace

namespace {

// Each kind's short name ("integer") and its name in a sentence ("an integer").
struct KindNames {
  const char* label;
  const char* in_sentence;
};
constexpr KindNames kKindNames[] = {{"integer", "an integer"},
                                    {"number", "a number"},
                                    {"text", "a text"},
                                    {"flag", "true or false"},
                                    {"list", "a list of texts"}};

}  // namespace

std::string option_kind_name(OptionKind kind) {
  return kKindNames[static_cast<int>(kind)].in_sentence;
}

std::string option_kind_label(OptionKind kind) {
  return kKindNames[static_cast<int>(kind)].label;
}

OptionError::OptionError(std::string field, std::string problem)
    : Error(concat(field, " ", problem)), field_(std::move(field)), problem_(std::move(problem)) {}

std::string flag_name(const std::string& option) {
  std::string flag = "--" + option;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

OptionTable::OptionTable(std::vector<OptionSpec> specs) : specs_(std::move(specs)) {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      CLAW_CHECK(specs_[i].name != specs_[j].name, "option ", specs_[i].name, " is declared twice");
    }
    if (!specs_[i].default_value.is_null()) check_value(specs_[i], specs_[i].default_value);
  }
}

const OptionSpec* OptionTable::find(const std::string& name) const {
  for (const OptionSpec& spec : specs_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

OptionTable OptionTable::with(const OptionTable& other) const {
  std::vector<OptionSpec> all = specs_;
  all.insert(all.end(), other.specs_.begin(), other.specs_.end());
  return OptionTable(std::move(all));
}

Json OptionTable::defaults() const {
  Json values = Json::object();
  for (const OptionSpec& spec : specs_) {
    if (!spec.default_value.is_null()) values[spec.name] = spec.default_value;
  }
  return values;
}

Json OptionTable::complete(Json values) const {
  if (values.is_null()) values = Json::object();
  for (const auto& [key, value] : values.items()) {
    if (find(key) == nullptr) {
      std::vector<std::string> known;
      for (const OptionSpec& spec : specs_) known.push_back(spec.name);
      throw OptionError(
          key, concat("is not an option here; known: ", known.empty() ? "none" : join(known)));
    }
  }
  for (const OptionSpec& spec : specs_) {
    if (!values.contains(spec.name) || values[spec.name].is_null()) {
      if (spec.optional && spec.default_value.is_null()) {
        values[spec.name] = nullptr;
        continue;
      }
      if (spec.default_value.is_null()) {
        throw OptionError(spec.name, concat("must be given: ", spec.help));
      }
      values[spec.name] = spec.default_value;
    }
    check_value(spec, values[spec.name]);
  }
  return values;
}

Json OptionTable::recorded(const Json& values) const {
  Json out = Json::object();
  for (const OptionSpec& spec : specs_) {
    if (spec.recorded && values.contains(spec.name)) out[spec.name] = values[spec.name];
  }
  return out;
}

Json OptionTable::keyed(const Json& values) const {
  Json out = recorded(values);
  for (const OptionSpec& spec : specs_) {
    if (!spec.keyed_at_default && out.contains(spec.name) && out[spec.name] == spec.default_value) {
      out.erase(spec.name);
    }
  }
  return out;
}

std::string OptionTable::value_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return significant(value.get<double>(), 6);
  if (value.is_array()) {
    std::string items;
    for (const Json& v : value) items += (items.empty() ? "" : ",") + value_text(v);
    return items;
  }
  return value.dump();
}

Json OptionTable::parse_value(const OptionSpec& spec, const std::string& text) {
  const auto invalid = [&]() -> Json {
    throw OptionError(spec.name,
                      concat("must be ", option_kind_name(spec.kind), ", not '", text, "'"));
  };
  switch (spec.kind) {
    case OptionKind::kInteger: {
      errno = 0;
      char* end = nullptr;
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno != 0) return invalid();
      return static_cast<std::int64_t>(v);
    }
    case OptionKind::kNumber: {
      errno = 0;
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || errno != 0) return invalid();
      return v;
    }
    case OptionKind::kText:
      return text;
    case OptionKind::kFlag:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      return invalid();
    case OptionKind::kTextList: {
      Json list = Json::array();
      std::size_t start = 0;
      while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        if (comma > start) list.push_back(text.substr(start, comma - start));
        start = comma + 1;
      }
      return list;
    }
  }
  return invalid();
}

}  // namespace claw

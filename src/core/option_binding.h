// Options bound to the fields they fill. A library lists its options once, as rows of a visitor
// function found by argument-dependent lookup next to its options struct:
//
//   template <typename Visitor>
//   void visit_options(RecoveryOptions& o, Visitor&& row) {
//     row(o.seq_len, {.name = "seq_len", .help = "tokens per training sequence", .minimum = 2});
//     ...
//   }
//
// and everything else follows from those rows: the OptionTable that front ends read (the kind
// from the field's type, the default from the field's value in a default-constructed struct), the
// struct filled from checked values, and the values a record keeps, under the options' own
// names. A row marked `.required = true` has no default: the option must be given. Adding an
// option is one row and the code that uses its field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "core/option_table.h"

namespace claw {

// An enum field is a text option whose values are the names its enumerators go by, declared
// once per enum by specialising OptionNames in namespace claw:
//   template <> struct OptionNames<FinalOrientation> {
//     static constexpr std::pair<FinalOrientation, const char*> kValues[] = {
//         {FinalOrientation::kPca, "pca"}, {FinalOrientation::kRandom, "random"}};
//   };
template <typename E>
struct OptionNames;

namespace binding {

template <typename E>
const char* enum_name(E value) {
  for (const auto& [enumerator, name] : OptionNames<E>::kValues) {
    if (enumerator == value) return name;
  }
  CLAW_FAIL("an enumerator without an option name");
}

template <typename E>
E enum_value(const std::string& name) {
  for (const auto& [enumerator, spelling] : OptionNames<E>::kValues) {
    if (spelling == name) return enumerator;
  }
  CLAW_FAIL("'", name, "' names no value of this option");
}

template <typename E>
std::vector<std::string> enum_names() {
  std::vector<std::string> names;
  for (const auto& entry : OptionNames<E>::kValues) names.emplace_back(entry.second);
  return names;
}

template <typename T>
constexpr bool kIsOptional = false;
template <typename T>
constexpr bool kIsOptional<std::optional<T>> = true;

// The option kind a field of type T holds; an unset optional field is an option that may stay
// null (the library derives its value).
template <typename T>
constexpr OptionKind field_kind() {
  if constexpr (kIsOptional<T>) {
    return field_kind<typename T::value_type>();
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return OptionKind::kInteger;
  } else if constexpr (std::is_same_v<T, double>) {
    return OptionKind::kNumber;
  } else if constexpr (std::is_same_v<T, std::string> || std::is_enum_v<T>) {
    return OptionKind::kText;
  } else if constexpr (std::is_same_v<T, bool>) {
    return OptionKind::kFlag;
  } else {
    static_assert(std::is_same_v<T, std::vector<std::string>>,
                  "an option field is std::int64_t, double, std::string, bool, "
                  "std::vector<std::string>, an enum with OptionNames, or an optional of one");
    return OptionKind::kTextList;
  }
}

template <typename T>
Json field_json(const T& value) {
  if constexpr (kIsOptional<T>) {
    return value ? field_json(*value) : Json();
  } else if constexpr (std::is_enum_v<T>) {
    return enum_name(value);
  } else {
    return Json(value);
  }
}

template <typename T>
void set_field(T& field, const Json& value) {
  if constexpr (kIsOptional<T>) {
    if (value.is_null()) {
      field.reset();
    } else {
      set_field(field.emplace(), value);
    }
  } else if constexpr (std::is_enum_v<T>) {
    field = enum_value<T>(value.get<std::string>());
  } else {
    field = value.get<T>();
  }
}

}  // namespace binding

// The option table of `Options`, its defaults those of a default-constructed `Options`.
template <typename Options>
OptionTable bound_option_table() {
  Options defaults{};
  std::vector<OptionSpec> specs;
  visit_options(defaults, [&](auto& field, OptionSpec spec) {
    using Field = std::decay_t<decltype(field)>;
    spec.kind = binding::field_kind<Field>();
    if (!spec.required) spec.default_value = binding::field_json(field);
    spec.optional = binding::kIsOptional<Field>;
    if constexpr (std::is_enum_v<Field>) {
      if (spec.choices.empty()) spec.choices = binding::enum_names<Field>();
    }
    specs.push_back(std::move(spec));
  });
  return OptionTable(std::move(specs));
}

// `Options` filled from values that OptionTable::complete() has checked.
template <typename Options>
Options bound_options_from(const Json& values) {
  Options options{};
  visit_options(options, [&](auto& field, const OptionSpec& spec) {
    const auto it = values.find(spec.name);
    CLAW_CHECK(it != values.end(), "option ", spec.name, " has no value");
    binding::set_field(field, *it);
  });
  return options;
}

// The recorded options' values, each under its option name.
template <typename Options>
Json bound_recorded_values(Options options) {
  Json out = Json::object();
  visit_options(options, [&](auto& field, const OptionSpec& spec) {
    if (spec.recorded) out[spec.name] = binding::field_json(field);
  });
  return out;
}

}  // namespace claw

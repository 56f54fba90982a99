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

#include "core/json.h"
#include "core/option_table.h"

namespace claw {
namespace binding {

template <typename T>
struct FieldKind;
template <>
struct FieldKind<std::int64_t> {
  static constexpr OptionKind kind = OptionKind::kInteger;
};
template <>
struct FieldKind<double> {
  static constexpr OptionKind kind = OptionKind::kNumber;
};
template <>
struct FieldKind<std::string> {
  static constexpr OptionKind kind = OptionKind::kText;
};
template <>
struct FieldKind<bool> {
  static constexpr OptionKind kind = OptionKind::kFlag;
};
template <>
struct FieldKind<std::vector<std::string>> {
  static constexpr OptionKind kind = OptionKind::kTextList;
};
// An unset optional field is an option that may stay null: the library derives its value.
template <typename T>
struct FieldKind<std::optional<T>> {
  static constexpr OptionKind kind = FieldKind<T>::kind;
};

template <typename T>
constexpr bool kIsOptional = false;
template <typename T>
constexpr bool kIsOptional<std::optional<T>> = true;

template <typename T>
Json field_json(const T& value) {
  if constexpr (kIsOptional<T>) {
    return value ? Json(*value) : Json();
  } else {
    return Json(value);
  }
}

template <typename T>
void set_field(T& field, const Json& value) {
  if constexpr (kIsOptional<T>) {
    field = value.is_null() ? T() : T(value.get<typename T::value_type>());
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
    spec.kind = binding::FieldKind<Field>::kind;
    if (!spec.required) spec.default_value = binding::field_json(field);
    spec.optional = binding::kIsOptional<Field>;
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

// JSON input with errors that name the file and the field.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace claw {

using Json = nlohmann::json;

// Parses `text`; a syntax error names `source` and the byte where parsing stopped.
Json parse_json(std::string_view text, const std::string& source);
Json read_json_file(const std::filesystem::path& path);

namespace detail {
template <typename T>
bool json_holds(const Json& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value.is_boolean();
  } else if constexpr (std::is_integral_v<T>) {
    return value.is_number_integer() &&
           (std::is_signed_v<T> || value.is_number_unsigned() || value.get<long long>() >= 0);
  } else if constexpr (std::is_floating_point_v<T>) {
    return value.is_number();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value.is_string();
  } else {
    return true;
  }
}

template <typename T>
const char* json_type_name() {
  if constexpr (std::is_same_v<T, bool>) return "a boolean";
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) return "an integer";
  if constexpr (std::is_floating_point_v<T>) return "a number";
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  return "a value";
}
}  // namespace detail

// The value of `key` as T, or an error naming `source`, the key and the expected type.
template <typename T>
T json_required(const Json& object, const char* key, const std::string& source) {
  CLAW_CHECK(object.is_object(), source, ": expected a JSON object");
  const auto it = object.find(key);
  CLAW_CHECK(it != object.end(), source, ": missing required key '", key, "'");
  CLAW_CHECK(detail::json_holds<T>(*it), source, ": key '", key, "' must be ",
             detail::json_type_name<T>(), ", got ", it->dump());
  return it->template get<T>();
}

// The value of `key` as T; `fallback` when absent or null.
template <typename T>
T json_optional(const Json& object, const char* key, T fallback, const std::string& source) {
  CLAW_CHECK(object.is_object(), source, ": expected a JSON object");
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  CLAW_CHECK(detail::json_holds<T>(*it), source, ": key '", key, "' must be ",
             detail::json_type_name<T>(), ", got ", it->dump());
  return it->template get<T>();
}

}  // namespace claw

#include "study/toml_fields.h"

#include <algorithm>

#include "core/error.h"
#include "core/format.h"

namespace claw::study {
namespace {

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

std::string location(const std::string& source, const toml::source_region& region) {
  return concat(source, ":", region.begin.line, ":", region.begin.column);
}

// The value of `node` as T, or nothing when it holds another type. Integers are numbers too.
template <typename T>
std::optional<T> value_of(const toml::node& node) {
  if constexpr (std::is_same_v<T, double>) {
    if (const auto i = node.value_exact<std::int64_t>()) return static_cast<double>(*i);
  }
  return node.value_exact<T>();
}

}  // namespace

TomlFields::TomlFields(const toml::table& table, std::string source, std::string path)
    : table_(&table), source_(std::move(source)), path_(std::move(path)) {}

std::string TomlFields::path_of(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

std::string TomlFields::where(const std::string& key) const {
  const toml::node* node = key.empty() ? table_ : table_->get(key);
  if (node == nullptr || !node->source().begin) return source_;
  return location(source_, node->source());
}

void TomlFields::fail(const std::string& key, const std::string& message) const {
  throw Error(concat(where(key), ": ", path_of(key), ": ", message));
}

const toml::node* TomlFields::find(const std::string& key) {
  asked_.insert(key);
  return table_->get(key);
}

std::optional<std::string> TomlFields::string(const std::string& key) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto v = value_of<std::string>(*node)) return v;
  fail(key, concat("expected a string, got ", type_name(*node)));
}

std::optional<std::int64_t> TomlFields::integer(const std::string& key) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto v = value_of<std::int64_t>(*node)) return v;
  fail(key, concat("expected an integer, got ", type_name(*node)));
}

std::optional<double> TomlFields::number(const std::string& key) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto v = value_of<double>(*node)) return v;
  fail(key, concat("expected a number, got ", type_name(*node)));
}

std::optional<bool> TomlFields::boolean(const std::string& key) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto v = value_of<bool>(*node)) return v;
  fail(key, concat("expected true or false, got ", type_name(*node)));
}

template <typename T>
std::optional<std::vector<T>> TomlFields::array(const std::string& key, const char* expected) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const toml::array* items = node->as_array();
  if (items == nullptr)
    fail(key, concat("expected an array of ", expected, ", got ", type_name(*node)));
  std::vector<T> out;
  for (const toml::node& item : *items) {
    const std::optional<T> v = value_of<T>(item);
    if (!v) {
      throw Error(concat(location(source_, item.source()), ": ", path_of(key), ": expected ",
                         expected, ", got ", type_name(item)));
    }
    out.push_back(*v);
  }
  return out;
}

std::optional<std::vector<std::string>> TomlFields::strings(const std::string& key) {
  return array<std::string>(key, "strings");
}

std::optional<std::vector<std::int64_t>> TomlFields::integers(const std::string& key) {
  return array<std::int64_t>(key, "integers");
}

std::optional<std::vector<double>> TomlFields::numbers(const std::string& key) {
  return array<double>(key, "numbers");
}

std::optional<TomlFields> TomlFields::table(const std::string& key) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const toml::table* sub = node->as_table();
  if (sub == nullptr) fail(key, concat("expected a table, got ", type_name(*node)));
  return TomlFields(*sub, source_, path_of(key));
}

std::vector<std::string> TomlFields::keys() {
  // toml++ keeps a table's keys sorted; the file's order is what users wrote and expect.
  std::vector<std::pair<toml::source_position, std::string>> found;
  for (const auto& [key, node] : *table_) {
    found.emplace_back(key.source().begin, std::string(key.str()));
    asked_.insert(found.back().second);
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first.line != b.first.line ? a.first.line < b.first.line
                                        : a.first.column < b.first.column;
  });
  std::vector<std::string> out;
  for (auto& [position, key] : found) out.push_back(std::move(key));
  return out;
}

void TomlFields::refuse_unknown_keys() const {
  for (const auto& [key, node] : *table_) {
    const std::string name(key.str());
    if (asked_.count(name) > 0) continue;
    const std::string known = join(asked_);
    throw Error(concat(location(source_, key.source()), ": unknown key '", path_of(name), "'",
                       known.empty() ? std::string(" (this table takes no keys)")
                                     : concat(" (known here: ", known, ")")));
  }
}

}  // namespace claw::study

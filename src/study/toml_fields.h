// Typed reading of a TOML table that refuses what it does not know: every error names the file,
// line and column, the key's full path and what was expected, so a broken study config is
// reported before any work starts.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "core/error.h"
#include "core/option_table.h"

namespace claw::study {

class TomlFields {
 public:
  // `path` is the table's dotted path ("" for the root), for messages.
  TomlFields(const toml::table& table, std::string source, std::string path);

  std::optional<std::string> string(const std::string& key);
  std::optional<std::int64_t> integer(const std::string& key);
  std::optional<double> number(const std::string& key);  // an integer is a number too
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::vector<std::string>> strings(const std::string& key);
  std::optional<std::vector<std::int64_t>> integers(const std::string& key);
  std::optional<std::vector<double>> numbers(const std::string& key);
  // A sub-table; an error when the key holds something else.
  std::optional<TomlFields> table(const std::string& key);
  // The node at `key` whatever it holds (nullptr when absent), for shapes the getters do not
  // cover.
  const toml::node* raw(const std::string& key) { return find(key); }
  // The keys of this table in the order the file has them, each marked as used.
  std::vector<std::string> keys();

  // Where `key` (or the table itself, for an empty key) was written, "FILE:LINE:COLUMN".
  std::string where(const std::string& key = "") const;
  // The dotted path of `key` in this table.
  std::string path_of(const std::string& key) const;
  // Throws an error at `key` saying `message`.
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  // Runs `check` (a library's own validation), re-raising its error at `key` (the table itself
  // for an empty key), so the message says where in the file the bad value is.
  // An OptionError names its field: it is reported at that key of this table instead.
  template <typename Check>
  void check(const std::string& key, Check&& check) const {
    try {
      check();
    } catch (const OptionError& e) {
      fail(e.field(), e.problem());
    } catch (const Error& e) {
      fail(key, e.what());
    }
  }
  // An error for the first key no getter asked for, listing the known ones.
  void refuse_unknown_keys() const;

 private:
  const toml::node* find(const std::string& key);
  template <typename T>
  std::optional<std::vector<T>> array(const std::string& key, const char* expected);

  const toml::table* table_;
  std::string source_, path_;
  std::set<std::string> asked_;
};

}  // namespace claw::study

// What a study store holds, in the form the study tests compare: each experiment's key with its
// metrics, which a duplicate, a partial write or a lost experiment would change.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "core/error.h"
#include "study/store.h"

namespace claw::testing {

// The experiments finished in the store at `store_path`, 0 while it does not exist yet.
inline std::size_t finished_count(const std::filesystem::path& store_path) {
  if (!std::filesystem::exists(store_path)) return 0;
  try {
    return study::Store(store_path).finished_keys().size();
  } catch (const Error&) {
    return 0;  // caught between the file's creation and its first write
  }
}

// Experiment key -> metric name -> value.
using StoreContents = std::map<std::string, std::map<std::string, double>>;

inline StoreContents store_contents(const std::filesystem::path& store_path) {
  StoreContents out;
  for (const study::ExperimentResult& r : study::Store(store_path).experiments()) {
    std::map<std::string, double>& metrics = out[r.key];
    for (const study::MetricValue& m : r.metrics) metrics[m.name.text()] = m.value;
  }
  return out;
}

// The same keys and metric names, and values equal to a relative `tolerance` (runs with other
// thread counts sum in another order).
inline bool same_contents(const StoreContents& a, const StoreContents& b, double tolerance = 1e-4) {
  if (a.size() != b.size()) return false;
  for (const auto& [key, metrics] : a) {
    const auto other = b.find(key);
    if (other == b.end() || other->second.size() != metrics.size()) return false;
    for (const auto& [name, value] : metrics) {
      const auto v = other->second.find(name);
      if (v == other->second.end()) return false;
      const double scale = std::max({1e-12, std::abs(value), std::abs(v->second)});
      if (std::abs(value - v->second) > tolerance * scale) return false;
    }
  }
  return true;
}

}  // namespace claw::testing

// The results store: one SQLite database in WAL mode that any number of processes append to.
// An experiment is written whole in one transaction once it is finished, keyed by its
// configuration hash, so a killed run leaves either all of an experiment or none of it, and a
// re-run skips what is there. Failures are kept with their message; they do not count as done.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/json.h"
#include "recover/objective.h"
#include "study/metric_name.h"

struct sqlite3;

namespace claw::study {

struct MetricValue {
  MetricName name;
  double value = 0;
  std::optional<double> standard_error;
  std::string protocol;
};

struct Artifact {
  std::string kind;  // "compressed_model"
  std::string path;  // relative to the study directory
  std::string content_hash;
};

struct ExperimentResult {
  std::string key, kind, label, model, method;
  double ratio = 0;
  std::int64_t tokens = 0;
  std::uint64_t seed = 0;
  Json config;  // what the key hashes
  Json record;  // what was done and measured beyond the metrics (compression, recovery, speed)
  std::string claw_version = CLAW_VERSION;
  std::string started, finished;  // UTC, ISO 8601
  double seconds = 0;
  std::vector<MetricValue> metrics;
  std::vector<std::pair<std::string, double>> timings;  // stage, seconds
  std::vector<Artifact> artifacts;

  // The metric called `name`, or nothing.
  const MetricValue* metric(const MetricName& name) const;
  // How its recovery trained: next-token training too for an unrecovered model and for every
  // experiment recorded before distillation existed (their settings name no objective).
  recover::Objective objective() const;
};

struct Failure {
  std::string experiment, label, stage, message, at;
};

// The current time in UTC, ISO 8601 ("2026-11-22T10:04:05Z").
std::string utc_now();

class Store {
 public:
  // Opens the store at `path`, creating it (and its directory) when absent. An error when the
  // file is not a claw store or is of a newer schema.
  explicit Store(const std::filesystem::path& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& path() const { return path_; }

  std::optional<std::string> meta(const std::string& key) const;
  // Sets `key` unless it is set already; returns the value the store keeps.
  std::string meta_or_set(const std::string& key, const std::string& value);

  std::set<std::string> finished_keys() const;
  // Writes the experiment, its metrics, timings and artifacts in one transaction; returns false
  // (writing nothing) when an experiment of that key is already there.
  bool record(const ExperimentResult& result);
  void record_failure(const Failure& failure);
  // What a worker is doing now, for the progress display of a parent process.
  void set_worker_stage(const std::string& worker, const std::string& label,
                        const std::string& stage);
  std::vector<std::string> worker_stages() const;

  std::vector<ExperimentResult> experiments() const;
  std::vector<Failure> failures() const;

  // Adds every experiment (with its metrics, timings, artifacts) and failure of the store at
  // `other` that this one lacks; returns how many experiments were added.
  std::int64_t merge_from(const std::filesystem::path& other);

 private:
  void execute(const std::string& sql) const;
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

// Whether `path` is an SQLite database (by its header), to tell a store from a results file.
bool is_sqlite_file(const std::filesystem::path& path);

}  // namespace claw::study

#include "study/store.h"

#include <sqlite3.h>

#include <cmath>
#include <ctime>
#include <fstream>
#include <map>

#include "core/error.h"

namespace claw::study {
namespace fs = std::filesystem;
namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS experiments(
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL, model TEXT NOT NULL,
  method TEXT NOT NULL, ratio REAL NOT NULL, tokens INTEGER NOT NULL, seed INTEGER NOT NULL,
  config TEXT NOT NULL, record TEXT NOT NULL, claw_version TEXT NOT NULL,
  started TEXT NOT NULL, finished TEXT NOT NULL, seconds REAL NOT NULL);
CREATE TABLE IF NOT EXISTS metrics(
  experiment TEXT NOT NULL REFERENCES experiments(key), name TEXT NOT NULL, value REAL NOT NULL,
  standard_error REAL, protocol TEXT NOT NULL, PRIMARY KEY(experiment, name));
CREATE TABLE IF NOT EXISTS timings(
  experiment TEXT NOT NULL REFERENCES experiments(key), stage TEXT NOT NULL,
  seconds REAL NOT NULL, PRIMARY KEY(experiment, stage));
CREATE TABLE IF NOT EXISTS artifacts(
  experiment TEXT NOT NULL REFERENCES experiments(key), kind TEXT NOT NULL, path TEXT NOT NULL,
  content_hash TEXT NOT NULL, PRIMARY KEY(experiment, kind));
CREATE TABLE IF NOT EXISTS failures(
  id INTEGER PRIMARY KEY AUTOINCREMENT, experiment TEXT NOT NULL, label TEXT NOT NULL,
  stage TEXT NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workers(
  worker TEXT PRIMARY KEY, label TEXT NOT NULL, stage TEXT NOT NULL, updated TEXT NOT NULL);
)sql";

// A prepared statement, finalized on every path.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const fs::path& path) : db_(db), path_(path) {
    check(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& text) {
    check(
        sqlite3_bind_text(stmt_, i, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind(int i, double value) {
    check(sqlite3_bind_double(stmt_, i, value));
    return *this;
  }
  Statement& bind(int i, std::int64_t value) {
    check(sqlite3_bind_int64(stmt_, i, value));
    return *this;
  }
  Statement& bind(int i, std::optional<double> value) {
    check(value && std::isfinite(*value) ? sqlite3_bind_double(stmt_, i, *value)
                                         : sqlite3_bind_null(stmt_, i));
    return *this;
  }
  // True while there is a row to read.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    check(rc);
    return false;
  }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p == nullptr ? "" : reinterpret_cast<const char*>(p);
  }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::optional<double> optional_real(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return real(column);
  }

 private:
  void check(int rc) const {
    CLAW_CHECK(rc == SQLITE_OK, path_.string(), ": ", sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  const fs::path& path_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when an exception leaves the scope.
class Transaction {
 public:
  Transaction(sqlite3* db, const fs::path& path) : db_(db), path_(path) { run("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    run("COMMIT");
    committed_ = true;
  }

 private:
  void run(const char* sql) {
    CLAW_CHECK(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK, path_.string(), ": ",
               sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  const fs::path& path_;
  bool committed_ = false;
};

Json parse_stored_json(const std::string& text, const fs::path& path, const std::string& key) {
  try {
    return Json::parse(text);
  } catch (const Json::exception&) {
    CLAW_FAIL(path.string(), ": experiment ", key, " holds malformed JSON");
  }
}

}  // namespace

const MetricValue* ExperimentResult::metric(const MetricName& name) const {
  for (const MetricValue& m : metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

recover::Objective ExperimentResult::objective() const {
  const Json* recovery = config.contains("recovery") ? &config.at("recovery") : nullptr;
  const std::string name = recovery != nullptr && recovery->contains("objective")
                               ? recovery->at("objective").get<std::string>()
                               : std::string();
  return recover::recorded_objective(name, "experiment " + key);
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

bool is_sqlite_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char header[16] = {};
  in.read(header, sizeof header);
  return in.gcount() == 16 && std::string(header, 16) == std::string("SQLite format 3\0", 16);
}

Store::Store(const fs::path& path) : path_(path) {
  // An empty file is a store another process has just opened and not yet written (a shard
  // starting while `claw study status` reads the shards); SQLite takes it as an empty database.
  if (fs::exists(path) && fs::file_size(path) > 0) {
    CLAW_CHECK(is_sqlite_file(path), path.string(), ": not a claw results store (SQLite)");
  } else if (path.has_parent_path()) {
    fs::create_directories(path.parent_path());
  }
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    CLAW_FAIL(path.string(), ": cannot open the store: ", message);
  }
  // Workers of one study write concurrently; each waits its turn instead of failing.
  sqlite3_busy_timeout(db_, 600'000);
  try {
    execute("PRAGMA journal_mode=WAL");
    execute("PRAGMA foreign_keys=ON");
    execute(kSchema);
    const std::string version = meta_or_set("schema_version", std::to_string(kSchemaVersion));
    CLAW_CHECK(version == std::to_string(kSchemaVersion), path.string(), ": a store of schema ",
               version, "; this claw reads schema ", kSchemaVersion);
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

Store::~Store() {
  sqlite3_close(db_);
}

void Store::execute(const std::string& sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    CLAW_FAIL(path_.string(), ": ", message);
  }
}

std::optional<std::string> Store::meta(const std::string& key) const {
  Statement s(db_, "SELECT value FROM meta WHERE key = ?", path_);
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

std::string Store::meta_or_set(const std::string& key, const std::string& value) {
  Statement insert(db_, "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", path_);
  insert.bind(1, key).bind(2, value).step();
  return *meta(key);
}

std::set<std::string> Store::finished_keys() const {
  std::set<std::string> keys;
  Statement s(db_, "SELECT key FROM experiments", path_);
  while (s.step()) keys.insert(s.text(0));
  return keys;
}

bool Store::record(const ExperimentResult& r) {
  Transaction transaction(db_, path_);
  Statement insert(db_,
                   "INSERT OR IGNORE INTO experiments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                   "?, ?)",
                   path_);
  insert.bind(1, r.key).bind(2, r.kind).bind(3, r.label).bind(4, r.model).bind(5, r.method);
  insert.bind(6, r.ratio).bind(7, r.tokens).bind(8, static_cast<std::int64_t>(r.seed));
  insert.bind(9, r.config.dump()).bind(10, r.record.dump()).bind(11, r.claw_version);
  insert.bind(12, r.started).bind(13, r.finished).bind(14, r.seconds);
  insert.step();
  if (sqlite3_changes(db_) == 0) return false;
  for (const MetricValue& m : r.metrics) {
    Statement s(db_, "INSERT INTO metrics VALUES (?, ?, ?, ?, ?)", path_);
    s.bind(1, r.key).bind(2, m.name.text()).bind(3, m.value).bind(4, m.standard_error);
    s.bind(5, m.protocol).step();
  }
  for (const auto& [stage, seconds] : r.timings) {
    Statement s(db_, "INSERT INTO timings VALUES (?, ?, ?)", path_);
    s.bind(1, r.key).bind(2, stage).bind(3, seconds).step();
  }
  for (const Artifact& a : r.artifacts) {
    Statement s(db_, "INSERT INTO artifacts VALUES (?, ?, ?, ?)", path_);
    s.bind(1, r.key).bind(2, a.kind).bind(3, a.path).bind(4, a.content_hash).step();
  }
  transaction.commit();
  return true;
}

void Store::record_failure(const Failure& f) {
  Statement s(db_,
              "INSERT INTO failures(experiment, label, stage, message, at) VALUES (?, ?, ?, ?, ?)",
              path_);
  s.bind(1, f.experiment).bind(2, f.label).bind(3, f.stage).bind(4, f.message).bind(5, f.at);
  s.step();
}

void Store::set_worker_stage(const std::string& worker, const std::string& label,
                             const std::string& stage) {
  Statement s(db_, "INSERT OR REPLACE INTO workers VALUES (?, ?, ?, ?)", path_);
  s.bind(1, worker).bind(2, label).bind(3, stage).bind(4, utc_now()).step();
}

std::vector<std::string> Store::worker_stages() const {
  std::vector<std::string> stages;
  Statement s(db_, "SELECT label, stage FROM workers WHERE stage != '' ORDER BY worker", path_);
  while (s.step()) stages.push_back(s.text(0) + ": " + s.text(1));
  return stages;
}

std::vector<ExperimentResult> Store::experiments() const {
  std::vector<ExperimentResult> out;
  std::map<std::string, std::size_t> index;
  {
    Statement s(db_, "SELECT * FROM experiments ORDER BY rowid", path_);
    while (s.step()) {
      ExperimentResult r;
      r.key = s.text(0);
      r.kind = s.text(1);
      r.label = s.text(2);
      r.model = s.text(3);
      r.method = s.text(4);
      r.ratio = s.real(5);
      r.tokens = s.integer(6);
      r.seed = static_cast<std::uint64_t>(s.integer(7));
      r.config = parse_stored_json(s.text(8), path_, r.key);
      r.record = parse_stored_json(s.text(9), path_, r.key);
      r.claw_version = s.text(10);
      r.started = s.text(11);
      r.finished = s.text(12);
      r.seconds = s.real(13);
      index[r.key] = out.size();
      out.push_back(std::move(r));
    }
  }
  Statement metrics(db_, "SELECT * FROM metrics ORDER BY rowid", path_);
  while (metrics.step()) {
    out[index.at(metrics.text(0))].metrics.push_back({MetricName::parse(metrics.text(1)),
                                                      metrics.real(2), metrics.optional_real(3),
                                                      metrics.text(4)});
  }
  Statement timings(db_, "SELECT * FROM timings ORDER BY rowid", path_);
  while (timings.step()) {
    out[index.at(timings.text(0))].timings.emplace_back(timings.text(1), timings.real(2));
  }
  Statement artifacts(db_, "SELECT * FROM artifacts ORDER BY rowid", path_);
  while (artifacts.step()) {
    out[index.at(artifacts.text(0))].artifacts.push_back(
        {artifacts.text(1), artifacts.text(2), artifacts.text(3)});
  }
  return out;
}

std::vector<Failure> Store::failures() const {
  std::vector<Failure> out;
  Statement s(db_, "SELECT experiment, label, stage, message, at FROM failures ORDER BY id", path_);
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4)});
  return out;
}

std::int64_t Store::merge_from(const fs::path& other) {
  CLAW_CHECK(fs::exists(other), other.string(), ": no such store");
  CLAW_CHECK(fs::weakly_canonical(other) != fs::weakly_canonical(path_), other.string(),
             ": is the store being merged into");
  { Store check(other); }  // the same checks as opening: a claw store of a known schema
  Statement attach(db_, "ATTACH DATABASE ? AS other", path_);
  attach.bind(1, other.string()).step();
  std::int64_t added = 0;
  try {
    Transaction transaction(db_, path_);
    execute("INSERT OR IGNORE INTO experiments SELECT * FROM other.experiments");
    added = sqlite3_changes(db_);
    execute("INSERT OR IGNORE INTO metrics SELECT * FROM other.metrics");
    execute("INSERT OR IGNORE INTO timings SELECT * FROM other.timings");
    // Artifact paths are relative to their store's directory: rebased so they still point
    // at the shard's files from this store's directory.
    const fs::path from = fs::weakly_canonical(other).parent_path();
    const fs::path to = fs::weakly_canonical(path_).parent_path();
    const std::string prefix = from == to ? "" : from.lexically_relative(to).string() + "/";
    Statement artifacts(db_,
                        "INSERT OR IGNORE INTO artifacts SELECT experiment, kind, ? || path, "
                        "content_hash FROM other.artifacts",
                        path_);
    artifacts.bind(1, prefix).step();
    execute(
        "INSERT INTO failures(experiment, label, stage, message, at) "
        "SELECT experiment, label, stage, message, at FROM other.failures AS o WHERE NOT EXISTS "
        "(SELECT 1 FROM failures AS f WHERE f.experiment = o.experiment AND f.at = o.at AND "
        "f.message = o.message)");
    execute("INSERT OR IGNORE INTO meta SELECT * FROM other.meta");
    transaction.commit();
  } catch (...) {
    execute("DETACH DATABASE other");
    throw;
  }
  execute("DETACH DATABASE other");
  return added;
}

}  // namespace claw::study

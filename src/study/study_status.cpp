#include "study/study_status.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json.h"
#include "study/store.h"
#include "study/study_directory.h"

namespace claw::study {
namespace fs = std::filesystem;

void write_plan_index(const fs::path& directory, const std::string& study,
                      const std::vector<std::vector<const Experiment*>>& shares, bool slurm) {
  Json experiments = Json::array();
  for (std::size_t i = 0; i < shares.size(); ++i) {
    for (const Experiment* e : shares[i]) {
      experiments.push_back({{"key", e->key}, {"label", e->label()}, {"share", i + 1}});
    }
  }
  const Json index = {{"study", study},
                      {"layout", slurm ? "slurm" : "local"},
                      {"shares", shares.size()},
                      {"experiments", experiments}};
  fs::create_directories(directory);
  write_file_atomic(StudyDirectory(directory).plan_index(), index.dump(1) + "\n");
}

int StudyStatus::workers_at_work() const {
  int n = 0;
  for (const ShareStatus& s : shares) {
    n += std::max<int>(static_cast<int>(s.stages.size()), s.slurm_state == "RUNNING");
  }
  return n;
}

std::int64_t StudyStatus::total(std::int64_t ShareStatus::*count) const {
  std::int64_t n = 0;
  for (const ShareStatus& s : shares) n += s.*count;
  return n;
}

StudyStatus read_study_status(const fs::path& directory) {
  const StudyDirectory layout(directory);
  const fs::path index_path = layout.plan_index();
  CLAW_CHECK(fs::exists(index_path), directory.string(),
             ": no study was started or submitted here (it has no ", index_path.filename().string(),
             ")");
  const Json index = read_json_file(index_path);
  const bool slurm = index.at("layout") == "slurm";
  StudyStatus status;
  status.study = index.at("study");
  const int shares = index.at("shares").get<int>();
  std::vector<std::vector<std::string>> keys(static_cast<std::size_t>(shares));
  for (const Json& e : index.at("experiments")) {
    keys[e.at("share").get<std::size_t>() - 1].push_back(e.at("key"));
  }
  if (slurm) status.slurm = read_slurm_record(directory);
  const std::map<int, std::string> states =
      status.slurm ? slurm_states(*status.slurm) : std::map<int, std::string>{};
  if (const auto finish = states.find(0); finish != states.end()) {
    status.finish_state = finish->second;
  }
  double seconds = 0;
  std::int64_t timed = 0;
  for (int share = 1; share <= shares; ++share) {
    ShareStatus s;
    s.share = share;
    if (const auto state = states.find(share); state != states.end()) s.slurm_state = state->second;
    const fs::path store_path = slurm ? layout.shard_store(share) : layout.store();
    std::set<std::string> finished, failed;
    if (fs::exists(store_path)) {
      const Store store(store_path);
      finished = store.finished_keys();
      for (const Failure& f : store.failures()) failed.insert(f.experiment);
      // A shared store's worker stages belong to every share; they are shown once.
      if (slurm || share == 1) s.stages = store.worker_stages();
      for (const ExperimentResult& r : store.experiments()) {
        seconds += r.seconds;
        ++timed;
      }
    }
    for (const std::string& key : keys[static_cast<std::size_t>(share - 1)]) {
      if (finished.count(key) > 0) {
        ++s.done;
      } else if (failed.count(key) > 0) {
        ++s.failed;
      } else {
        ++s.to_do;
      }
    }
    status.shares.push_back(std::move(s));
  }
  if (timed > 0) status.mean_experiment_seconds = seconds / static_cast<double>(timed);
  return status;
}

}  // namespace claw::study

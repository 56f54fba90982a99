// The layout of a study directory, declared once; every part of claw that reads or writes one
// asks here for the path:
//
//   DIR/study.sqlite                the store (store.h)
//   DIR/plan.json                   every experiment of the plan with its share (study_status.h)
//   DIR/models/KEY/                 each compressed model, by its compression key
//   DIR/shards/N/study.sqlite       the store of Slurm share N, merged into DIR/study.sqlite
//   DIR/slurm/                      the sbatch scripts, jobs.json and the jobs' logs/
//   DIR/report/                     the report (report.h)
#pragma once

#include <filesystem>
#include <string>

namespace claw::study {

class StudyDirectory {
 public:
  static constexpr const char* kStoreName = "study.sqlite";

  explicit StudyDirectory(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path store() const { return root_ / kStoreName; }
  std::filesystem::path plan_index() const { return root_ / "plan.json"; }
  std::filesystem::path report() const { return root_ / "report"; }

  // models/KEY, relative to the root: what the store's artifacts name.
  static std::filesystem::path compressed_model_relative(const std::string& compression_key) {
    return std::filesystem::path("models") / compression_key;
  }
  std::filesystem::path compressed_model(const std::string& compression_key) const {
    return root_ / compressed_model_relative(compression_key);
  }

  std::filesystem::path shards() const { return root_ / "shards"; }
  std::filesystem::path shard(int share) const { return shards() / std::to_string(share); }
  std::filesystem::path shard_store(int share) const { return shard(share) / kStoreName; }

  std::filesystem::path slurm() const { return root_ / "slurm"; }
  std::filesystem::path slurm_logs() const { return slurm() / "logs"; }
  std::filesystem::path shards_script() const { return slurm() / "shards.sbatch"; }
  std::filesystem::path finish_script() const { return slurm() / "finish.sbatch"; }
  std::filesystem::path jobs_record() const { return slurm() / "jobs.json"; }

 private:
  std::filesystem::path root_;
};

}  // namespace claw::study

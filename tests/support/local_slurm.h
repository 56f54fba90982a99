// Test support: a throwaway one-node Slurm cluster (munged, slurmctld, slurmd) on localhost.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace claw::testing {

// A Slurm cluster of one node on localhost for the tests: munged, slurmctld and slurmd started
// from a generated slurm.conf in a scratch directory, stopped by their pids when the object dies.
// Everything lives in the scratch directory and the ports are picked free, so several test
// processes can each run their own cluster at once without touching the system's Slurm or MUNGE.
// Should the test process die without running the destructor, Linux stops the daemons too; as it
// does so when the creating thread ends, create the cluster on a thread that outlives it.
class LocalSlurm {
 public:
  // Starts the daemons and waits (up to ~30 s) until the node is idle; on failure, `error()` says
  // why and `running()` is false (the caller then GTEST_SKIPs or fails).
  LocalSlurm();
  // Cancels the cluster's jobs, stops the daemons by pid (SIGTERM, then SIGKILL after a few
  // seconds) and removes the scratch directory.
  ~LocalSlurm();
  LocalSlurm(const LocalSlurm&) = delete;
  LocalSlurm& operator=(const LocalSlurm&) = delete;

  bool running() const { return running_; }
  const std::string& error() const { return error_; }
  // Assignments to put before a shell command so that sbatch, squeue, scancel... talk to this
  // cluster, e.g. "SLURM_CONF=/tmp/claw-slurm-AbC123/slurm.conf ". The MUNGE socket needs no
  // variable: slurm.conf names it.
  std::string env_prefix() const;
  // The scratch directory: slurm.conf, logs (*.log, and each daemon's own output in *.out),
  // state, spool, pid files and the MUNGE key and socket.
  const std::filesystem::path& directory() const { return dir_; }
  // Runs `command` with `sh -c` under env_prefix(); returns {exit code, stdout and stderr}.
  std::pair<int, std::string> run(const std::string& command) const;
  // The pids of the daemons still running, so that a test can check none outlives the cluster.
  std::vector<pid_t> daemon_pids() const;

 private:
  struct Daemon {
    std::string name;
    pid_t pid = -1;
  };

  bool start();
  bool spawn(const std::string& name, const std::vector<std::string>& args);
  bool daemons_alive();  // false, with error_ set, once one has exited
  void stop();

  std::filesystem::path dir_;
  std::vector<Daemon> daemons_;
  bool running_ = false;
  std::string error_;
};

}  // namespace claw::testing

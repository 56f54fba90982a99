#include "support/local_slurm.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace claw::testing {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The daemons live in sbin, which a test's PATH may lack.
std::string find_program(const std::string& name) {
  std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
  dirs += ":/usr/sbin:/usr/local/sbin:/sbin";
  std::stringstream split(dirs);
  for (std::string dir; std::getline(split, dir, ':');) {
    const fs::path candidate = fs::path(dir) / name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

// Bound together and released just before the daemons bind them, so that clusters started at
// the same time get distinct ports.
std::vector<int> free_ports(int count) {
  std::vector<int> sockets, ports;
  for (int i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    socklen_t length = sizeof(address);
    if (fd < 0) break;
    sockets.push_back(fd);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      break;
    }
    ports.push_back(ntohs(address.sin_port));
  }
  for (int fd : sockets) ::close(fd);
  return ports;
}

std::string tail(const fs::path& path, int lines) {
  std::ifstream in(path);
  std::vector<std::string> kept;
  for (std::string line; std::getline(in, line);) {
    kept.push_back(line);
    if (static_cast<int>(kept.size()) > lines) kept.erase(kept.begin());
  }
  std::string text;
  for (const std::string& line : kept) text += "  " + line + "\n";
  return text;
}

std::string short_hostname() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  const std::string host(name, std::strcspn(name, "."));
  return host.empty() ? "localhost" : host;
}

// Job steps outlive slurmd (slurmstepd detaches) and, with slurmctld gone, cannot be cancelled.
// Only this cluster's processes have a working directory or descriptor inside `dir` (slurmstepd
// keeps slurmd.log open) or SLURM_CONF naming its slurm.conf (slurmd sets it for every job).
std::vector<pid_t> processes_of(const fs::path& dir) {
  const std::string prefix = dir.string() + "/", conf = "SLURM_CONF=" + prefix + "slurm.conf";
  auto inside = [&](const fs::path& link) {
    std::error_code ignored;
    return (fs::read_symlink(link, ignored).string() + "/").rfind(prefix, 0) == 0;
  };
  // Processes come and go while they are listed: errors end a listing rather than throw.
  std::vector<pid_t> found;
  std::error_code ec, fd_ec;
  for (fs::directory_iterator process("/proc", ec), end; !ec && process != end;
       process.increment(ec)) {
    const std::string name = process->path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream environ_file(process->path() / "environ");
    std::string variable;
    bool ours = inside(process->path() / "cwd");
    while (!ours && std::getline(environ_file, variable, '\0')) ours = variable == conf;
    for (fs::directory_iterator fd(process->path() / "fd", fd_ec); !ours && !fd_ec && fd != end;
         fd.increment(fd_ec)) {
      ours = inside(fd->path());
    }
    if (ours && std::stoi(name) != ::getpid()) found.push_back(std::stoi(name));
  }
  return found;
}

}  // namespace

LocalSlurm::LocalSlurm() {
  char pattern[] = "/tmp/claw-slurm-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    error_ = std::string("mkdtemp: ") + std::strerror(errno);
    return;
  }
  dir_ = pattern;
  try {
    running_ = start();
  } catch (const std::exception& e) {
    error_ = e.what();
  }
  if (!running_) stop();
}

LocalSlurm::~LocalSlurm() {
  stop();
  std::error_code ignored;
  if (!dir_.empty()) fs::remove_all(dir_, ignored);
}

std::string LocalSlurm::env_prefix() const {
  return "SLURM_CONF=" + (dir_ / "slurm.conf").string() + " ";
}

std::pair<int, std::string> LocalSlurm::run(const std::string& command) const {
  std::string quoted = "'";
  for (char c : command) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  const std::string line = env_prefix() + "sh -c " + quoted + "' 2>&1";
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) return {-1, std::string("popen: ") + std::strerror(errno)};
  std::string output;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) output.append(buffer, n);
  const int status = ::pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, output};
}

std::vector<pid_t> LocalSlurm::daemon_pids() const {
  std::vector<pid_t> pids;
  for (const Daemon& daemon : daemons_) {
    if (daemon.pid > 0) pids.push_back(daemon.pid);
  }
  return pids;
}

bool LocalSlurm::start() {
  const auto deadline = Clock::now() + 30s;
  const std::string d = dir_.string(), host = short_hostname();
  const std::vector<int> ports = free_ports(2);
  if (ports.size() != 2) {
    error_ = "could not find two free TCP ports";
    return false;
  }
  fs::create_directories(dir_ / "state");
  fs::create_directories(dir_ / "spool");
  std::ofstream(dir_ / "plugstack.conf").close();
  {
    std::ifstream random("/dev/urandom", std::ios::binary);
    std::string key(1024, '\0');
    random.read(key.data(), key.size());
    std::ofstream(dir_ / "munge.key", std::ios::binary) << key;
    fs::permissions(dir_ / "munge.key", fs::perms::owner_read | fs::perms::owner_write);
  }
  // munged wants its key private (so the directory opens only now) and warns unless the
  // socket's directory is searchable by all.
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  const long cpus = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  // Essential beyond the paths: AuthInfo points Slurm (daemons and clients) at our munged;
  // linuxproc and task/none keep cgroups out; batch_sched_delay=0 and sched_interval=1 take
  // jobs from 3 s to about 1 s apart; KillWait shortens scancel and teardown; config_overrides
  // trusts CPUs= over what slurmd detects, which would otherwise drain a mismatched node.
  std::ofstream(dir_ / "slurm.conf")
      << "ClusterName=claw\n"
      << "SlurmctldHost=" << host << "(127.0.0.1)\n"
      << "SlurmctldPort=" << ports[0] << "\nSlurmdPort=" << ports[1] << "\n"
      << "AuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket=" << d << "/munge.socket\n"
      << "SlurmUser=root\nSlurmdUser=root\n"
      << "StateSaveLocation=" << d << "/state\nSlurmdSpoolDir=" << d << "/spool\n"
      << "SlurmctldPidFile=" << d << "/slurmctld.pid\nSlurmdPidFile=" << d << "/slurmd.pid\n"
      << "SlurmctldLogFile=" << d << "/slurmctld.log\nSlurmdLogFile=" << d << "/slurmd.log\n"
      << "PlugStackConfig=" << d << "/plugstack.conf\n"
      << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
      << "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\n"
      << "JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n"
      << "MailProg=/bin/true\nMpiDefault=none\nReturnToService=2\nKillWait=2\n"
      << "SlurmdParameters=config_overrides\n"
      << "SchedulerType=sched/builtin\n"
      << "SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=1\n"
      << "NodeName=" << host << " NodeAddr=127.0.0.1 CPUs=" << cpus
      << " RealMemory=1000 State=UNKNOWN\n"
      << "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n";

  if (!spawn("munged", {"munged", "-F", "-f", "--key-file=" + d + "/munge.key",
                        "--socket=" + d + "/munge.socket", "--pid-file=" + d + "/munged.pid",
                        "--log-file=" + d + "/munged.log", "--seed-file=" + d + "/munged.seed"})) {
    return false;
  }
  while (!fs::exists(dir_ / "munge.socket")) {
    if (!daemons_alive()) return false;
    if (Clock::now() > deadline) {
      error_ = "munged made no socket:\n" + tail(dir_ / "munged.out", 15);
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  const std::string conf = d + "/slurm.conf";
  if (!spawn("slurmctld", {"slurmctld", "-D", "-i", "-f", conf}) ||
      !spawn("slurmd", {"slurmd", "-D", "-f", conf, "-N", host})) {
    return false;
  }
  std::string state;
  while (daemons_alive()) {
    // Bounded so that a slurmctld dying at startup is noticed in seconds.
    state = run("timeout 2 sinfo -h -o %T").second;
    if (state == "idle\n") return true;
    if (Clock::now() > deadline) {
      error_ = "node not idle after 30 s, sinfo says: " + state + "slurmctld:\n" +
               tail(dir_ / "slurmctld.out", 10) + "slurmd:\n" + tail(dir_ / "slurmd.out", 10);
      return false;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

bool LocalSlurm::spawn(const std::string& name, const std::vector<std::string>& args) {
  const std::string program = find_program(args[0]);
  if (program.empty()) {
    error_ = args[0] + " not found";
    return false;
  }
  // Everything the child needs is prepared here: between fork and exec only async-signal-safe
  // calls are allowed, as the test may have other threads.
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const std::string out = (dir_ / (name + ".out")).string();
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  // Descriptors the test left inheritable (pipes of a test runner...) must not stay open in a
  // daemon, or whoever reads them would wait for the daemon.
  std::vector<int> inherited;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc/self/fd", ec)) {
    const int fd = std::atoi(entry.path().filename().c_str());
    if (fd > 2 && fd != null_fd && fd != out_fd) inherited.push_back(fd);
  }
  const pid_t parent = ::getpid();
  const pid_t pid = null_fd < 0 || out_fd < 0 ? -1 : ::fork();
  if (pid == 0) {
#ifdef __linux__
    // A test that crashes never runs the destructor; the daemons should not outlive it.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
#endif
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    for (int fd : inherited) ::close(fd);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  const int saved_errno = errno;
  if (null_fd >= 0) ::close(null_fd);
  if (out_fd >= 0) ::close(out_fd);
  if (pid < 0) {
    error_ = "cannot start " + name + ": " + std::strerror(saved_errno);
    return false;
  }
  daemons_.push_back({name, pid});
  return true;
}

bool LocalSlurm::daemons_alive() {
  for (Daemon& daemon : daemons_) {
    int status = 0;
    if (daemon.pid <= 0 || ::waitpid(daemon.pid, &status, WNOHANG) == 0) continue;
    daemon.pid = -1;
    error_ = daemon.name + (WIFEXITED(status) ? " exited with code " : " killed by signal ") +
             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)) + ":\n" +
             tail(dir_ / (daemon.name + ".out"), 15);
    return false;
  }
  return true;
}

void LocalSlurm::stop() {
  // Jobs are cancelled while slurmctld can still do it cleanly; the sweep below is the fallback.
  // `timeout` bounds the clients, which retry an unreachable slurmctld for about 10 s.
  if (running_ && daemons_alive() && run("timeout 5 scancel --partition=debug").first == 0) {
    const auto deadline = Clock::now() + 5s;
    for (auto jobs = run("timeout 5 squeue -h -o %i");
         jobs.first == 0 && !jobs.second.empty() && Clock::now() < deadline;
         jobs = run("timeout 5 squeue -h -o %i")) {
      std::this_thread::sleep_for(100ms);
    }
  }
  running_ = false;
  for (auto daemon = daemons_.rbegin(); daemon != daemons_.rend(); ++daemon) {
    if (daemon->pid <= 0) continue;
    ::kill(daemon->pid, SIGTERM);
    const auto patience = Clock::now() + 5s;
    while (::waitpid(daemon->pid, nullptr, WNOHANG) == 0) {
      if (Clock::now() > patience) ::kill(daemon->pid, SIGKILL);
      std::this_thread::sleep_for(20ms);
    }
    daemon->pid = -1;
  }
  const auto deadline = Clock::now() + 2s;
  for (std::vector<pid_t> left; !dir_.empty() && Clock::now() < deadline;) {
    if ((left = processes_of(dir_)).empty()) break;
    for (pid_t pid : left) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace claw::testing

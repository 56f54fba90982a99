#include "study/executor.h"

#include "core/error.h"
#include "core/format.h"

namespace claw::study {

std::vector<std::string> StudyCommand::arguments(const std::string& shard,
                                                 const std::string& device,
                                                 const std::filesystem::path& out,
                                                 const std::string& worker) const {
  std::vector<std::string> args = {"--quiet", "study"};
  if (!config.empty()) args.push_back(config.string());
  if (quick) args.push_back("--quick");
  args.insert(args.end(),
              {"--out", out.string(), "--shard", shard, "--device", device, "--dtype", dtype});
  if (threads > 0) {
    args.push_back("--threads");
    args.push_back(std::to_string(threads));
  }
  if (!worker.empty()) {
    args.push_back("--worker");
    args.push_back(worker);
  }
  return args;
}

std::vector<std::string> place_workers(int jobs, const std::string& device,
                                       const std::vector<std::string>& devices,
                                       int visible_cuda_devices) {
  CLAW_CHECK(jobs >= 1, "jobs must be at least 1, not ", jobs);
  if (!devices.empty()) {
    CLAW_CHECK(static_cast<int>(devices.size()) == jobs, "devices lists ", devices.size(),
               " devices for ", jobs, " jobs: one worker runs on each device");
    return devices;
  }
  if (device != "cuda") return std::vector<std::string>(static_cast<std::size_t>(jobs), device);
  CLAW_CHECK(visible_cuda_devices > 0, "device cuda: no CUDA device is visible");
  std::vector<std::string> placed;
  for (int j = 0; j < jobs; ++j) placed.push_back(concat("cuda:", j % visible_cuda_devices));
  return placed;
}

}  // namespace claw::study

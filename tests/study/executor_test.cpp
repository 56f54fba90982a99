// Worker placement: one worker per listed device, or a bare "cuda" spread over the visible GPUs,
// checked with device strings alone so that a CPU machine tests it.
#include <gtest/gtest.h>

#include "study/executor.h"

namespace claw::study {
namespace {

using Devices = std::vector<std::string>;

TEST(PlaceWorkers, ListedDevicesGetOneWorkerEach) {
  EXPECT_EQ(place_workers(2, "cpu", {"cuda:0", "cuda:3"}, 4), (Devices{"cuda:0", "cuda:3"}));
}

TEST(PlaceWorkers, BareCudaSpreadsOverTheVisibleDevicesInTurn) {
  EXPECT_EQ(place_workers(4, "cuda", {}, 2), (Devices{"cuda:0", "cuda:1", "cuda:0", "cuda:1"}));
  // Inside a Slurm task that was given one GPU, every worker shares it.
  EXPECT_EQ(place_workers(2, "cuda", {}, 1), (Devices{"cuda:0", "cuda:0"}));
}

TEST(PlaceWorkers, NamedDeviceOrCpuIsUsedByEveryWorker) {
  EXPECT_EQ(place_workers(3, "cpu", {}, 0), (Devices{"cpu", "cpu", "cpu"}));
  EXPECT_EQ(place_workers(2, "cuda:1", {}, 2), (Devices{"cuda:1", "cuda:1"}));
}

TEST(PlaceWorkers, MismatchesAndMissingGpusAreRefused) {
  EXPECT_THROW(place_workers(3, "cpu", {"cuda:0", "cuda:1"}, 2), std::exception);
  EXPECT_THROW(place_workers(2, "cuda", {}, 0), std::exception);
  EXPECT_THROW(place_workers(0, "cpu", {}, 0), std::exception);
}

TEST(StudyCommand, ArgumentsRunOneShareAsThisProcessWould) {
  StudyCommand command;
  command.config = "/s/study.toml";
  command.quick = true;
  command.dtype = "bf16";
  command.threads = 4;
  EXPECT_EQ(
      command.arguments("2/3", "cuda:1", "/out", "1/2"),
      (Devices{"--quiet", "study", "/s/study.toml", "--quick", "--out", "/out", "--shard", "2/3",
               "--device", "cuda:1", "--dtype", "bf16", "--threads", "4", "--worker", "1/2"}));
}

}  // namespace
}  // namespace claw::study

// Where and how a command computes: device, dtype and CPU threads.
#pragma once

#include <torch/types.h>

#include <string>

namespace claw::model {

// "cpu", "cuda" or "cuda:N"; CUDA is refused with a clear message where it is unavailable.
torch::Device parse_device(const std::string& text);
// "f32", "bf16" or "f16".
torch::ScalarType parse_dtype(const std::string& text);
std::string dtype_flag_name(torch::ScalarType type);

// The CUDA devices this process sees (0 without CUDA); under Slurm, the GPUs it was given.
int visible_cuda_devices();

// The cores no other runnable thread is using now, at least 1. LibTorch's threads meet at a
// barrier after every operation, so one that another process has descheduled stalls them all:
// beside a busy process, two threads on two cores ran an evaluation 50x slower than one.
int idle_cores();

// Intra-op threads for LibTorch (it starts with one here): `threads`, or idle_cores() when 0.
void set_threads(int threads);

}  // namespace claw::model

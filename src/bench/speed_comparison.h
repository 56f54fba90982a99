// A compressed model's speed against its base's, measured in the same process: prefill and
// decode throughput, time to first token and memory, with the speedup a perfect implementation
// would get from the shapes alone beside the measured one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/json.h"
#include "model/model.h"

namespace claw::bench {

struct SpeedOptions {
  std::vector<std::int64_t> batches = {1, 8};
  std::vector<std::int64_t> prompts = {128, 512};  // prefill lengths
  std::int64_t decode = 128;                       // tokens decoded after each prefill
  int reps = 5;
  int warmup = 1;
  std::uint64_t seed = 0;  // of the prompt tokens (which tokens they are does not change the work)
};

// Refuses settings a model of this config cannot run, naming the flag.
void check_speed_options(const SpeedOptions& options, const model::ModelConfig& config);

struct BenchedModel {
  std::string role;  // "base" or "model": the key of its figures in the record
  std::string path;
  // The model, in memory for the whole comparison; or null, and `load` reads it afresh for each
  // of its turns (when two models do not fit in memory together).
  const model::Model* model;
  std::function<model::Model()> load{};
};

// The engines a speed is measured in: claw's own (LibTorch), or llama.cpp (llama_cpp_speed.h).
inline constexpr const char* kClawEngine = "claw";
inline constexpr const char* kLlamaCppEngine = "llama.cpp";
inline constexpr const char* kSpeedEngines[] = {kClawEngine, kLlamaCppEngine};

// What a speed record says of one model: path, content hash, dtype, weight bytes, bytes read per
// decoded token and the elements of its layers' matrices.
Json describe_benched_model(const BenchedModel& benched, const model::Model& model);

// Runs a generation request (a prefill, then `decode` steps) for every batch and prefill length,
// reps + warmup times per model. Within each repetition the models take turns (B, M, B, M, ...),
// so a drift of the machine's speed lands on both alike, and each speedup is taken per
// repetition from adjacent runs before its median and range are. A model read for each turn
// (`load`) runs every setting in its turn, so it is read once per repetition; the record says
// so ("models_in_memory": "one at a time"). With two models the first is
// the base. Progress goes to stderr; the record (documented in docs/speed.md) is returned.
Json compare_speed(const std::vector<BenchedModel>& models, const SpeedOptions& options);

}  // namespace claw::bench

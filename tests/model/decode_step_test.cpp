// What one decode step costs the host. Through LibTorch's operators (the path of GPUs): no
// synchronisation with the device, nothing built that the cache already holds (masks, RoPE
// tables), and the same allocations at every position, so the step's shapes and work do not
// drift as the context grows. On the CPU a synchronisation is an item()
// (aten::_local_scalar_dense), which on a GPU would stall the stream every token. Through claw's
// CPU decode step: next to nothing dispatched or allocated at all.
#include <ATen/record_function.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include <map>
#include <string>

#include "bench/memory_meter.h"
#include "core/error.h"
#include "model/decoder.h"
#include "model/kv_cache.h"
#include "model/presets.h"

namespace claw::model {
namespace {

// The operators dispatched while alive, by name.
class OperatorCounter {
 public:
  OperatorCounter() {
    counts().clear();
    handle_ = at::addGlobalCallback(at::RecordFunctionCallback(&on_enter).needsInputs(false));
  }
  ~OperatorCounter() { at::removeCallback(handle_); }
  int total() const {
    int sum = 0;
    for (const auto& [name, count] : counts()) sum += count;
    return sum;
  }
  int operator[](const std::string& name) const {
    const auto it = counts().find(name);
    return it == counts().end() ? 0 : it->second;
  }

 private:
  static std::map<std::string, int>& counts() {
    static std::map<std::string, int> table;
    return table;
  }
  static std::unique_ptr<at::ObserverContext> on_enter(const at::RecordFunction& fn) {
    ++counts()[fn.name()];
    return nullptr;
  }
  at::CallbackHandle handle_;
};

struct StepCost {
  int synchronisations = 0;
  int allocations = 0;
  int built = 0;      // operators that make masks or RoPE tables
  int operators = 0;  // every operator dispatched
};

// One step through LibTorch's operators, or (`operators_only` false) through whichever path
// forward() takes.
StepCost decode_step(const Model& model, KvCache& cache, std::int64_t token,
                     bool operators_only = true) {
  const torch::Tensor input = torch::full({cache.batch(), 1}, token, torch::kInt64);
  ForwardOptions last_only;
  last_only.last_position_only = true;
  last_only.operators_only = operators_only;
  const bench::TensorMemoryMeter meter(torch::kCPU);
  const std::int64_t allocations_before = meter.cpu_allocations();
  OperatorCounter ops;
  forward(model, input, {}, &cache, last_only);
  StepCost cost;
  cost.operators = ops.total();
  cost.synchronisations = ops["aten::_local_scalar_dense"];
  cost.allocations = static_cast<int>(meter.cpu_allocations() - allocations_before);
  for (const char* name : {"aten::arange", "aten::cos", "aten::sin", "aten::cumsum",
                           "aten::masked_fill", "aten::zeros", "aten::ones"}) {
    cost.built += ops[name];
  }
  return cost;
}

Model small_model() {
  ModelConfig config = preset_config("tiny-qwen2");
  config.vocab_size = 256;
  return random_model(config, 7, torch::kFloat32);
}

// Allocations of one step: each layer's activations and the logits, nothing that grows with the
// context. Measured with LibTorch 1.13 on this Qwen2 shape (with q/k/v biases): 13 + 43 per
// layer, exactly; the bound pins that.
int allocation_bound(const Model& model) {
  return 13 + 43 * static_cast<int>(model.config.num_layers);
}

struct EarlyAndLate {
  StepCost early, late;
};

// The cost of a step soon after the prompt and of one once the cache holds `late_length`
// positions. The first step after a prompt is not measured: it may size what later ones reuse.
EarlyAndLate early_and_late_steps(const Model& model, KvCache& cache, std::int64_t late_length) {
  decode_step(model, cache, 3);
  const StepCost early = decode_step(model, cache, 4);
  while (cache.length() < late_length) decode_step(model, cache, 5);
  return {early, decode_step(model, cache, 6)};
}

TEST(DecodeStep, NeitherSynchronisesNorBuildsAndAllocatesTheSameAtEveryPosition) {
  const Model model = small_model();
  const c10::InferenceMode inference;  // as model::generate() decodes
  KvCache cache(model.config, 1, 64, torch::kCPU, torch::kFloat32);
  forward(model, torch::arange(1, 9, torch::kInt64).unsqueeze(0), {}, &cache);
  const auto [early, late] = early_and_late_steps(model, cache, 48);
  for (const StepCost& cost : {early, late}) {
    EXPECT_EQ(cost.synchronisations, 0);
    EXPECT_EQ(cost.built, 0);
    EXPECT_LE(cost.allocations, allocation_bound(model));
  }
  EXPECT_EQ(late.allocations, early.allocations);
}

TEST(DecodeStep, AfterLeftPaddedPromptsStillNeverSynchronises) {
  const Model model = small_model();
  const c10::InferenceMode inference;  // as model::generate() decodes
  KvCache cache(model.config, 2, 32, torch::kCPU, torch::kFloat32);
  const torch::Tensor prompts = torch::arange(1, 9, torch::kInt64).view({2, 4});
  const torch::Tensor valid =
      torch::tensor({true, true, true, true, false, false, true, true}).view({2, 4});
  forward(model, prompts, valid, &cache);  // one synchronisation here, for the padded prompt
  const auto [early, late] = early_and_late_steps(model, cache, 24);
  for (const StepCost& cost : {early, late}) {
    EXPECT_EQ(cost.synchronisations, 0);
    EXPECT_EQ(cost.built, 0);
  }
  EXPECT_EQ(late.allocations, early.allocations);
}

TEST(DecodeStep, OnTheCpuDecodePathDispatchesAndAllocatesAlmostNothing) {
  const Model model = small_model();
  const c10::InferenceMode inference;  // as model::generate() decodes
  KvCache cache(model.config, 2, 16, torch::kCPU, torch::kFloat32);
  forward(model, torch::arange(1, 9, torch::kInt64).view({2, 4}), {}, &cache);
  decode_step(model, cache, 3, /*operators_only=*/false);  // sizes the request's workspace
  const StepCost cost = decode_step(model, cache, 4, /*operators_only=*/false);
  // The logits, and the scalar LibTorch wraps for the cache's position add.
  EXPECT_LE(cost.allocations, 2);
  EXPECT_EQ(cost.synchronisations, 0);
  // Making the logits and the cache's commit (a view, a fill, an add): a handful, against
  // hundreds through the operators.
  EXPECT_LE(cost.operators, 8);
}

TEST(DecodeStep, RefusesAPositionPastTheContextFromTheHost) {
  Model model = small_model();
  model.config.max_position_embeddings = 6;
  const c10::InferenceMode inference;  // as model::generate() decodes
  for (const bool operators_only : {true, false}) {
    KvCache cache(model.config, 1, 8, torch::kCPU, torch::kFloat32);
    forward(model, torch::arange(1, 6, torch::kInt64).unsqueeze(0), {}, &cache);
    decode_step(model, cache, 3, operators_only);  // position 5, the context's last
    EXPECT_THROW(decode_step(model, cache, 4, operators_only), Error);
  }
}

}  // namespace
}  // namespace claw::model

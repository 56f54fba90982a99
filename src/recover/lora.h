// LoRA adapters on a model's projections, as PEFT defines them, and their two ways out: merged
// into the weights, or saved alone in PEFT's layout so other tools can load them.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/json.h"
#include "model/model.h"

namespace claw::recover {

struct LoraOptions {
  std::int64_t rank = 8;
  double alpha = 16;  // the update is scaled by alpha / rank
  double dropout = 0.05;
  // Which projections get adapters: any of q, k, v, o, gate, up, down.
  std::vector<std::string> targets = {"q", "k", "v", "o", "gate", "up", "down"};
};

// Checks `options.targets` and the sizes; an error names what is wrong.
void check_lora_options(const LoraOptions& options);

// Attaches a fresh adapter to each targeted projection of every layer: A uniform in
// ±1/√in (PEFT's kaiming_uniform_ with a = √5), B zero, so the model is unchanged until
// trained. Returns the trainable tensors (A and B of each adapter).
std::vector<torch::Tensor> attach_lora(model::Model& model, const LoraOptions& options,
                                       at::Generator& generator);

// Turns the adapters' dropout on (training) or off.
void set_lora_training(model::Model& model, bool training);

// W ← W + scale·B·A for every adapter, computed in float32 or wider and written into W's own
// memory (so a Model sharing W sees it merged too), then drops the adapters.
void merge_lora(model::Model& model);

// adapter_model.safetensors and adapter_config.json in `dir` (which must exist), named as PEFT
// names them for a Llama/Qwen2 model (base_model.model.model.layers.N.self_attn.q_proj.lora_A
// .weight, ...).
void save_peft_adapter(const model::Model& model, const LoraOptions& options,
                       const std::filesystem::path& dir, const std::string& base_model);

}  // namespace claw::recover

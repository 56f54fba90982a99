#include "recover/lora.h"

#include <algorithm>
#include <cmath>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/option_table.h"
#include "io/safetensors.h"
#include "model/torch_tensors.h"

namespace claw::recover {
namespace {

struct Target {
  const char* name;    // as --targets spells it
  const char* module;  // PEFT's module path inside a layer
  model::Linear model::DecoderLayer::*projection;
};

constexpr Target kTargets[] = {
    {"q", "self_attn.q_proj", &model::DecoderLayer::q},
    {"k", "self_attn.k_proj", &model::DecoderLayer::k},
    {"v", "self_attn.v_proj", &model::DecoderLayer::v},
    {"o", "self_attn.o_proj", &model::DecoderLayer::o},
    {"gate", "mlp.gate_proj", &model::DecoderLayer::gate},
    {"up", "mlp.up_proj", &model::DecoderLayer::up},
    {"down", "mlp.down_proj", &model::DecoderLayer::down},
};

// Every adapted projection with its PEFT module name.
template <typename Visit>
void for_each_adapter(const model::Model& model, Visit visit) {
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    for (const Target& target : kTargets) {
      const model::Linear& linear = model.layers[i].*target.projection;
      if (linear.lora) visit(concat("model.layers.", i, ".", target.module), linear);
    }
  }
}

}  // namespace

void check_lora_options(const LoraOptions& options) {
  if (options.rank < 1) throw OptionError("lora_rank", "must be at least 1");
  if (!(options.alpha > 0)) throw OptionError("lora_alpha", "must be positive");
  if (!(options.dropout >= 0 && options.dropout < 1)) {
    throw OptionError("lora_dropout", "must be in [0, 1)");
  }
  if (options.targets.empty()) throw OptionError("targets", "names no projection");
  for (const std::string& name : options.targets) {
    const bool known = std::any_of(std::begin(kTargets), std::end(kTargets),
                                   [&](const Target& t) { return name == t.name; });
    if (!known) {
      throw OptionError("targets", concat("names an unknown projection '", name,
                                          "' (expected q, k, v, o, gate, up, down)"));
    }
  }
}

std::vector<torch::Tensor> attach_lora(model::Model& model, const LoraOptions& options,
                                       at::Generator& generator) {
  check_lora_options(options);
  std::vector<torch::Tensor> trainable;
  for (model::DecoderLayer& layer : model.layers) {
    for (const Target& target : kTargets) {
      if (std::find(options.targets.begin(), options.targets.end(), target.name) ==
          options.targets.end()) {
        continue;
      }
      model::Linear& linear = layer.*target.projection;
      if (!linear.weight.defined()) continue;  // a sublayer that pruning removed
      const std::int64_t out = linear.weight.size(0), in = linear.weight.size(1);
      const double bound = 1.0 / std::sqrt(static_cast<double>(in));
      auto update = std::make_shared<model::LowRankUpdate>();
      const auto options_f32 = torch::TensorOptions().dtype(torch::kFloat);
      update->a = at::empty({options.rank, in}, options_f32)
                      .uniform_(-bound, bound, generator)
                      .to(linear.weight.device(), linear.weight.scalar_type())
                      .requires_grad_();
      update->b = torch::zeros({out, options.rank}, linear.weight.options()).requires_grad_();
      update->scale = options.alpha / static_cast<double>(options.rank);
      update->dropout = options.dropout;
      trainable.push_back(update->a);
      trainable.push_back(update->b);
      linear.lora = std::move(update);
    }
  }
  return trainable;
}

void set_lora_training(model::Model& model, bool training) {
  for (model::DecoderLayer& layer : model.layers) {
    for (const Target& target : kTargets) {
      if (const auto& lora = (layer.*target.projection).lora) lora->training = training;
    }
  }
}

void merge_lora(model::Model& model) {
  torch::NoGradGuard no_grad;
  for (model::DecoderLayer& layer : model.layers) {
    for (const Target& target : kTargets) {
      model::Linear& linear = layer.*target.projection;
      if (!linear.lora) continue;
      const torch::ScalarType wide = c10::elementSize(linear.weight.scalar_type()) >= 4
                                         ? linear.weight.scalar_type()
                                         : torch::kFloat;
      const torch::Tensor delta =
          linear.lora->b.to(wide).mm(linear.lora->a.to(wide)) * linear.lora->scale;
      // In place: a new tensor per weight would leave the unmerged one alive wherever another
      // Model shares it, a second copy of every adapted matrix.
      linear.weight.copy_(linear.weight.to(wide) + delta);
      linear.lora.reset();
    }
  }
}

void save_peft_adapter(const model::Model& model, const LoraOptions& options,
                       const std::filesystem::path& dir, const std::string& base_model) {
  std::vector<io::TensorEntry> entries;
  std::vector<std::string> modules;
  for_each_adapter(model, [&](const std::string& module, const model::Linear& linear) {
    for (const auto& [suffix, t] : {std::pair{".lora_A.weight", linear.lora->a},
                                    std::pair{".lora_B.weight", linear.lora->b}}) {
      const torch::Tensor value = t.detach();
      const torch::ScalarType type = value.scalar_type();
      entries.push_back({concat("base_model.model.", module, suffix), model::to_io_dtype(type),
                         value.sizes().vec(),
                         [value, type] { return model::tensor_bytes(value, type); }});
    }
  });
  CLAW_CHECK(!entries.empty(), "the model has no adapters to save");
  io::write_safetensors(dir / "adapter_model.safetensors", entries, {{"format", "pt"}});
  std::vector<std::string> target_modules;
  for (const Target& target : kTargets) {
    if (std::find(options.targets.begin(), options.targets.end(), target.name) !=
        options.targets.end()) {
      const std::string module = target.module;
      target_modules.push_back(module.substr(module.find('.') + 1));
    }
  }
  const Json config = {{"peft_type", "LORA"},
                       {"task_type", "CAUSAL_LM"},
                       {"base_model_name_or_path", base_model},
                       {"r", options.rank},
                       {"lora_alpha", options.alpha},
                       {"lora_dropout", options.dropout},
                       {"target_modules", target_modules},
                       {"bias", "none"},
                       {"fan_in_fan_out", false},
                       {"inference_mode", true},
                       {"init_lora_weights", true},
                       {"modules_to_save", nullptr}};
  write_file_atomic(dir / "adapter_config.json", config.dump(2) + "\n");
}

}  // namespace claw::recover

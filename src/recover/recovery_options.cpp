#include "recover/recovery_options.h"

#include <filesystem>

#include "core/error.h"
#include "data/corpus.h"
#include "recover/lora.h"
#include "recover/recovery.h"

namespace claw::recover {

void check_data_name(const Json& value) {
  const std::string name = value.get<std::string>();
  if (name.empty()) return;
  if (name.rfind("jsonl:", 0) == 0) {
    CLAW_CHECK(std::filesystem::exists(name.substr(6)), "no such file: ", name.substr(6));
    return;
  }
  data::load_corpus(name);
}

void check_lora_targets(const Json& targets) {
  LoraOptions lora;
  lora.targets = targets.get<std::vector<std::string>>();
  check_lora_options(lora);
}

const OptionTable& recovery_option_table() {
  static const OptionTable table = bound_option_table<RecoveryOptions>();
  return table;
}

RecoveryOptions recovery_options_from(const Json& values) {
  RecoveryOptions o = bound_options_from<RecoveryOptions>(values);
  o.eval_data = held_out_data(o);
  return o;
}

Json recovery_settings_for_key(const Json& recorded) {
  // Next-token training, all there was before distillation, keys as it did then.
  Json settings = recorded;
  const std::string next_token = objective_name(Objective::kNextToken);
  if (settings.value("objective", next_token) == next_token) settings.erase("objective");
  if (settings.at("tokens") == 0) return settings;  // no training: nothing was renamed
  static const std::pair<const char*, const char*> kRenamed[] = {
      {"lr", "learning_rate"}, {"warmup", "warmup_steps"}, {"prompt_loss", "loss_on_prompt"}};
  const OptionTable& table = recovery_option_table();
  const Json keyed = table.keyed(settings);
  Json key = settings;
  for (const OptionSpec& spec : table.specs()) {
    if (!keyed.contains(spec.name)) key.erase(spec.name);
  }
  for (const auto& [name, earlier] : kRenamed) {
    key[earlier] = key.at(name);
    key.erase(name);
  }
  const bool full = key.at("full").get<bool>();
  key["method"] = full ? "full" : "lora";
  if (!full) {
    key["lora"] = {{"rank", key.at("lora_rank")},
                   {"alpha", key.at("lora_alpha")},
                   {"dropout", key.at("lora_dropout")},
                   {"targets", key.at("targets")}};
  }
  for (const char* folded : {"full", "lora_rank", "lora_alpha", "lora_dropout", "targets"}) {
    key.erase(folded);
  }
  return key;
}

}  // namespace claw::recover

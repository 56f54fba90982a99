#include "recover/recovery_options.h"

#include <filesystem>

#include "core/error.h"
#include "data/corpus.h"
#include "recover/lora.h"

namespace claw::recover {
namespace {

// What training_sequences() can read: a JSON-lines file that exists, or a corpus it loads.
void check_data_name(const std::string& name) {
  if (name.empty()) return;
  if (name.rfind("jsonl:", 0) == 0) {
    CLAW_CHECK(std::filesystem::exists(name.substr(6)), "no such file: ", name.substr(6));
    return;
  }
  data::load_corpus(name);
}

}  // namespace

const OptionTable& recovery_option_table() {
  static const OptionTable table = [] {
    const RecoveryOptions d;
    const auto integer = [](const char* name, std::int64_t value, std::int64_t minimum,
                            const char* help) {
      return OptionSpec{.name = name,
                        .kind = OptionKind::kInteger,
                        .default_value = value,
                        .help = help,
                        .minimum = static_cast<double>(minimum)};
    };
    const auto flag = [](const char* name, const char* help) {
      return OptionSpec{
          .name = name, .kind = OptionKind::kFlag, .default_value = false, .help = help};
    };
    return OptionTable({
        {.name = "data",
         .kind = OptionKind::kText,
         .default_value = "",
         .help = "training data: alpaca[:train|:test], jsonl:PATH, or a corpus "
                 "(tinystories:train, wikitext2:valid, text:PATH, ...)",
         .check = [](const Json& v) { check_data_name(v.get<std::string>()); }},
        {.name = "eval_data",
         .kind = OptionKind::kText,
         .help = "held-out data (default: the test split of a train split; \"\" for none)",
         .optional = true,
         .check = [](const Json& v) { check_data_name(v.get<std::string>()); }},
        integer("seq_len", d.seq_len, 2, "tokens per training sequence"),
        integer("epochs", d.epochs, 1, "passes over the data allowed to reach D tokens"),
        integer("batch", d.trainer.batch, 1, "sequences per forward pass"),
        integer("grad_accum", d.trainer.grad_accum, 1, "forward passes per optimizer step"),
        {.name = "lr",
         .kind = OptionKind::kNumber,
         .default_value = d.trainer.learning_rate,
         .help = "peak learning rate",
         .minimum = 0,
         .minimum_excluded = true},
        integer("warmup", d.trainer.warmup, 0, "steps of linear warm-up"),
        {.name = "weight_decay",
         .kind = OptionKind::kNumber,
         .default_value = d.trainer.weight_decay,
         .help = "AdamW weight decay",
         .minimum = 0},
        flag("prompt_loss", "train on prompt tokens too (default: the response only)"),
        flag("full", "train all weights instead of LoRA adapters"),
        integer("lora_rank", d.lora.rank, 1, "LoRA rank"),
        {.name = "lora_alpha",
         .kind = OptionKind::kNumber,
         .default_value = d.lora.alpha,
         .help = "LoRA alpha (scale alpha / rank)",
         .minimum = 0,
         .minimum_excluded = true},
        {.name = "lora_dropout",
         .kind = OptionKind::kNumber,
         .default_value = d.lora.dropout,
         .help = "LoRA dropout",
         .minimum = 0,
         .maximum = 1,
         .maximum_excluded = true},
        {.name = "targets",
         .kind = OptionKind::kTextList,
         .default_value = d.lora.targets,
         .help = "projections with adapters",
         .check =
             [](const Json& v) {
               LoraOptions lora;
               lora.targets = v.get<std::vector<std::string>>();
               check_lora_options(lora);
             }},
        // Held-out evaluations are reported, never trained on: they leave the result alone.
        {.name = "eval_every",
         .kind = OptionKind::kInteger,
         .default_value = d.trainer.eval_every,
         .help = "steps between held-out evaluations (0: at the end only)",
         .minimum = 0,
         .recorded = false},
        {.name = "eval_sequences",
         .kind = OptionKind::kInteger,
         .default_value = d.eval_sequences,
         .help = "held-out sequences evaluated",
         .minimum = 1,
         .recorded = false},
    });
  }();
  return table;
}

RecoveryOptions recovery_options_from(const Json& values) {
  RecoveryOptions o;
  o.data = option<std::string>(values, "data");
  o.eval_data = values.at("eval_data").is_null() ? default_eval_data(o.data)
                                                 : values.at("eval_data").get<std::string>();
  o.seq_len = option<std::int64_t>(values, "seq_len");
  o.epochs = option<std::int64_t>(values, "epochs");
  o.trainer.batch = option<std::int64_t>(values, "batch");
  o.trainer.grad_accum = option<std::int64_t>(values, "grad_accum");
  o.trainer.learning_rate = option<double>(values, "lr");
  o.trainer.warmup = option<std::int64_t>(values, "warmup");
  o.trainer.weight_decay = option<double>(values, "weight_decay");
  o.prompt_loss = option<bool>(values, "prompt_loss");
  o.full = option<bool>(values, "full");
  o.lora.rank = option<std::int64_t>(values, "lora_rank");
  o.lora.alpha = option<double>(values, "lora_alpha");
  o.lora.dropout = option<double>(values, "lora_dropout");
  o.lora.targets = option<std::vector<std::string>>(values, "targets");
  o.trainer.eval_every = option<std::int64_t>(values, "eval_every");
  o.eval_sequences = option<std::int64_t>(values, "eval_sequences");
  return o;
}

}  // namespace claw::recover

// Recovery's options, each one row bound to the field of RecoveryOptions it fills
// (core/option_binding.h): the flags of `claw recover`, the keys of a study's [recovery] table
// and the names recovery.json records all come from these rows. D (tokens) and the seed are each
// front end's own: one budget on the command line, a list of them in a study.
#pragma once

#include "core/json.h"
#include "core/option_binding.h"
#include "core/option_table.h"
#include "recover/recovery.h"

namespace claw::recover {

// Whether training_sequences() can read `name` (a JSON-lines file that exists, or a corpus it
// loads); an error says why not.
void check_data_name(const Json& name);
// Whether LoRA can target these projections.
void check_lora_targets(const Json& targets);

template <typename Visitor>
void visit_options(RecoveryOptions& o, Visitor&& row) {
  row(o.data, {.name = "data",
               .help = "training data: alpaca[:train|:test], jsonl:PATH, or a corpus "
                       "(tinystories:train, wikitext2:valid, text:PATH, ...)",
               .check = check_data_name});
  row(o.eval_data, {.name = "eval_data",
                    .help = "held-out data (default: the test split of a train split; \"\" for "
                            "none)",
                    .check = check_data_name});
  row(o.seq_len, {.name = "seq_len", .help = "tokens per training sequence", .minimum = 2});
  row(o.epochs,
      {.name = "epochs", .help = "passes over the data allowed to reach D tokens", .minimum = 1});
  row(o.trainer.batch, {.name = "batch", .help = "sequences per forward pass", .minimum = 1});
  row(o.trainer.grad_accum,
      {.name = "grad_accum", .help = "forward passes per optimizer step", .minimum = 1});
  row(o.trainer.learning_rate,
      {.name = "lr", .help = "peak learning rate", .minimum = 0, .minimum_excluded = true});
  row(o.trainer.warmup, {.name = "warmup", .help = "steps of linear warm-up", .minimum = 0});
  row(o.trainer.weight_decay, {.name = "weight_decay", .help = "AdamW weight decay", .minimum = 0});
  row(o.prompt_loss,
      {.name = "prompt_loss", .help = "train on prompt tokens too (default: the response only)"});
  row(o.full, {.name = "full", .help = "train all weights instead of LoRA adapters"});
  row(o.lora.rank, {.name = "lora_rank", .help = "LoRA rank", .minimum = 1});
  row(o.lora.alpha, {.name = "lora_alpha",
                     .help = "LoRA alpha (scale alpha / rank)",
                     .minimum = 0,
                     .minimum_excluded = true});
  row(o.lora.dropout, {.name = "lora_dropout",
                       .help = "LoRA dropout",
                       .minimum = 0,
                       .maximum = 1,
                       .maximum_excluded = true});
  row(o.lora.targets,
      {.name = "targets", .help = "projections with adapters", .check = check_lora_targets});
  // Memory against time; the gradients are the same either way.
  row(o.trainer.keep_activations,
      {.name = "keep_activations",
       .help = "keep every layer's activations for the backward pass (faster; by default each "
               "layer is run again there, holding one layer's activations at a time)",
       .recorded = false});
  // Distillation's settings: they mean something only with a teacher (RecoveryOptions::teacher),
  // and are recorded only then. Added after stores existed, so keyed only away from defaults.
  row(o.trainer.kd_weight, {.name = "kd_weight",
                            .help = "distilling: the weight of the distillation term; the "
                                    "next-token loss has 1 - w (0: next-token loss only)",
                            .minimum = 0,
                            .maximum = 1,
                            .keyed_at_default = false});
  row(o.trainer.kd.temperature, {.name = "kd_temperature",
                                 .help = "distilling: the temperature T softening both "
                                         "distributions (the term is scaled by T^2)",
                                 .minimum = 0,
                                 .minimum_excluded = true,
                                 .keyed_at_default = false});
  row(o.trainer.kd.top_k, {.name = "kd_top_k",
                           .help = "distilling: only the teacher's K largest logits per position "
                                   "(default: every token)",
                           .minimum = 1,
                           .keyed_at_default = false});
  // Held-out evaluations are reported, never trained on: they leave the result alone.
  row(o.trainer.eval_every, {.name = "eval_every",
                             .help = "steps between held-out evaluations (0: at the end only)",
                             .minimum = 0,
                             .recorded = false});
  row(o.eval_sequences, {.name = "eval_sequences",
                         .help = "held-out sequences evaluated",
                         .minimum = 1,
                         .recorded = false});
}

const OptionTable& recovery_option_table();

// RecoveryOptions from complete values of recovery_option_table(), the held-out data derived
// when not given; tokens and seed stay unset.
RecoveryOptions recovery_options_from(const Json& values);

// The settings as experiment keys hash them. Keys are the hash of what determines a result, so
// they must not change when a recorded name does: the names release 0.1.0 recorded before the
// options' own names were used are mapped back here, and only here (lr was learning_rate,
// warmup warmup_steps, prompt_loss loss_on_prompt, full and lora_* a method and a lora block).
// An option added since (keyed_at_default false in its row) enters the key only away from its
// default, and the objective only when it is not next-token training ("lm").
Json recovery_settings_for_key(const Json& settings);

}  // namespace claw::recover

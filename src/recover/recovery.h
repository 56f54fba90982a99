// One recovery run as `claw recover` and studies do it: the data prepared once, then D tokens of
// it trained on with LoRA (or all weights), and the record recovery.json stores.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "model/model.h"
#include "recover/lora.h"
#include "recover/objective.h"
#include "recover/trainer.h"
#include "recover/training_data.h"
#include "text/tokenizer.h"

namespace claw::recover {

struct RecoveryOptions {
  std::string data;                      // training data, as training_sequences() names it
  std::optional<std::string> eval_data;  // held-out data; "": none; unset: derived from data
  std::int64_t tokens = 0;
  std::int64_t seq_len = 512;
  std::int64_t epochs = 1;
  std::int64_t eval_sequences = 32;  // held-out sequences evaluated
  bool full = false;                 // all weights instead of LoRA adapters
  bool prompt_loss = false;
  std::uint64_t seed = 0;
  // The model distilled from (usually the uncompressed base), given by each front end: a path
  // for `claw recover --teacher`, each model's own base in a study. Empty: next-token training.
  std::string teacher;
  LoraOptions lora;
  TrainerOptions trainer;
};

// The held-out data: eval_data when given, else the test split of a train split, else none ("").
std::string held_out_data(const RecoveryOptions& options);

// Whether any kd_ setting is away from its default.
bool sets_distillation(const RecoveryOptions& options);

// Errors for combinations of options no run could use, naming the option (each option's own
// range is its row's, checked when the values are read).
void check_recovery_options(const RecoveryOptions& options);

// The settings recovery.json records: the recorded options under their own names (distillation's
// only when distilling), the objective ("lm" or "kd"), D, the seed, the compute dtype's name and
// the training facts no option sets.
Json recovery_settings(const RecoveryOptions& options, const std::string& dtype);

// The tokenized training and held-out sequences, which every budget D draws from.
struct RecoveryData {
  std::vector<TrainingSequence> train;
  std::vector<TrainingSequence> held_out;
};
RecoveryData prepare_recovery_data(const text::Tokenizer& tokenizer,
                                   const RecoveryOptions& options);

// Distillation when `options` distil from a teacher (with a weight above 0), else next-token.
Objective recovery_objective(const RecoveryOptions& options);

// Trains `model` (in its compute dtype) on options.tokens scored tokens of `data`, distilling
// from `teacher` when the options name one (same vocabulary, in the same dtype). With LoRA the
// adapters stay attached and unmerged (merge_lora() folds them in); nothing requires gradients
// afterwards. Returns tokens_seen, steps, the loss curves, seconds, tokens_per_second and, when
// training stopped early, why.
Json train_recovery(model::Model& model, const RecoveryData& data, const RecoveryOptions& options,
                    const model::Model* teacher = nullptr);

}  // namespace claw::recover

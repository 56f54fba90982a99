// Recovery data as recovery reads it: tokenized into training sequences, then drawn from.
#include <array>

#include "fuzz/dataset_inputs.h"
#include "fuzz/targets.h"
#include "recover/training_data.h"
#include "text/llama2c_tokenizer.h"

namespace claw::fuzz {
namespace {

// Recovery data: the Alpaca template, and JSONL of prompt/completion pairs or plain text, with
// and without loss on the prompt.
constexpr std::array<DatasetFile, 4> kTrainingData = {
    {{"alpaca:train", kAlpaca}, {"alpaca", kAlpaca}, {"jsonl:", ""}, {"jsonl:", ""}}};

const text::Tokenizer& stories_tokenizer() {
  static const text::Llama2cTokenizer tokenizer = text::Llama2cTokenizer::from_file(
      Workspace::get().real_data() / "models/stories260K/tok512.bin");
  return tokenizer;
}

void run_training_data(std::string_view input) {
  const auto [choice, rest] = select_format(input, kTrainingData.size());
  const bool prompt_loss = choice == 1 || choice == 3;
  with_input_as(kTrainingData[choice], rest, [&](const std::string& name) {
    const auto sequences = recover::training_sequences(name, stories_tokenizer(), 64, prompt_loss);
    recover::take_scored_tokens(sequences, 40, 2, 1, name);
  });
}

std::vector<Seed> training_data_seeds() {
  const std::string jsonl =
      R"({"prompt": "Once upon a time", "completion": " there was a cat."})"
      "\n"
      R"({"text": "Lily and Ben went to the park. They played all day long."})"
      "\n\n"
      R"({"prompt": "The end", "completion": "."})"
      "\n";
  return {selected_seed("alpaca", 1, alpaca_records(6)), selected_seed("jsonl", 2, jsonl),
          selected_seed("jsonl_prompt_loss", 3, jsonl)};
}

}  // namespace

std::vector<FuzzTarget> training_data_targets() {
  return {{"training_data", "recovery data (Alpaca, JSONL prompt/completion or text)",
           run_training_data, training_data_seeds}};
}

}  // namespace claw::fuzz

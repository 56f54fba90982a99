// claw_logits: the logits of claw's decoder for given token ids, written to a file, so that
// other implementations can be compared with it (scripts/hf_parity.py checks HF transformers).
//
//   claw_logits --model M --tokens IN.safetensors --out OUT.safetensors
//               [--device cpu|cuda[:N]] [--dtype f32|bf16|f16] [--threads N]
//
// IN holds "tokens" [B, T] int64 and, optionally, "valid" [B, T] bool (false: padding, anywhere
// in a row, as model::forward() takes it). OUT holds "logits" [B, T, vocab] float32, computed
// in --dtype on --device.
#include <torch/types.h>
#include <CLI/CLI.hpp>

#include <string>

#include "cli/run_main.h"
#include "cli/runtime_flags.h"
#include "core/error.h"
#include "io/safetensors.h"
#include "model/decoder.h"
#include "model/load.h"
#include "model/torch_tensors.h"

namespace {

using namespace claw;

void run(const std::string& model_path, const std::string& tokens_path, const std::string& out_path,
         const cli::RuntimeFlags& flags) {
  const model::LoadOptions options = flags.apply();
  const io::SafetensorsFile input(tokens_path);
  const auto find = [&](const std::string& name) -> const io::TensorView* {
    const auto it = input.tensors().find(name);
    return it == input.tensors().end() ? nullptr : &it->second;
  };
  const io::TensorView* tokens_view = find("tokens");
  CLAW_CHECK(tokens_view != nullptr && tokens_view->shape.size() == 2, tokens_path,
             ": needs a tensor 'tokens' of shape [batch, length]");
  const torch::Tensor tokens = model::tensor_from_view(*tokens_view, torch::kInt64, options.device);
  torch::Tensor valid;
  if (const io::TensorView* valid_view = find("valid")) {
    CLAW_CHECK(valid_view->shape == tokens_view->shape, tokens_path,
               ": 'valid' must have the shape of 'tokens'");
    valid = model::tensor_from_view(*valid_view, torch::kBool, options.device);
  }

  const model::Model model = model::load_model(model_path, options);
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = model::forward(model, tokens, valid).to(torch::kFloat32);
  io::write_safetensors(out_path, {{"logits", io::DType::kF32, logits.sizes().vec(), [logits] {
                                      return model::tensor_bytes(logits, torch::kFloat32);
                                    }}});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"claw_logits: a model's logits for given token ids"};
  std::string model_path, tokens_path, out_path;
  claw::cli::RuntimeFlags flags;
  app.add_option("--model", model_path, "HF directory or llama2.c checkpoint")->required();
  app.add_option("--tokens", tokens_path, "safetensors: tokens [B, T] int64, valid [B, T] bool")
      ->required();
  app.add_option("--out", out_path, "safetensors to write: logits [B, T, vocab] float32")
      ->required();
  flags.add_to(app);
  return claw::cli::run_main("claw_logits", app, argc, argv,
                             [&] { run(model_path, tokens_path, out_path, flags); });
}

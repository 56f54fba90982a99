// Model files as the model layer reads them: config.json, the legacy llama2.c checkpoint and GGUF.
#include <cstring>

#include "core/json.h"
#include "core/text_file.h"
#include "fuzz/targets.h"
#include "fuzz/workspace.h"
#include "io/gguf.h"
#include "io/llama2c.h"
#include "model/config.h"
#include "model/gguf_export.h"
#include "model/gguf_model.h"
#include "model/layout.h"
#include "model/presets.h"
#include "model/stored_model.h"
#include "text/gguf_vocab.h"
#include "text/tokenizer.h"

namespace claw::fuzz {
namespace {
namespace fs = std::filesystem;

void run_model_config(std::string_view input) {
  const model::ModelConfig config =
      model::config_from_hf(parse_json(input, "config.json"), "config.json");
  model::config_to_hf(config, "bfloat16");
  model::count_parameters(config);  // what loading and the ratio accounting compute first
}

std::vector<Seed> model_config_seeds() {
  std::vector<Seed> seeds;
  for (const std::string& preset : model::preset_names()) {
    seeds.push_back(
        {preset, model::config_to_hf(model::preset_config(preset), "bfloat16").dump(2)});
  }
  // The claw section: per-layer KV heads and biases Qwen2's keys cannot state.
  model::ModelConfig pruned = model::preset_config("tiny-qwen2");
  pruned.kv_heads = {1, 2};
  pruned.o_bias = pruned.mlp_bias = true;
  seeds.push_back({"tiny-qwen2-pruned-heads", model::config_to_hf(pruned, "bfloat16").dump(2)});
  return seeds;
}

void run_llama2c_checkpoint(std::string_view input) {
  const io::Llama2cCheckpoint checkpoint(Workspace::get().write("checkpoint.bin", input));
  touch_tensors(checkpoint.tensors());
  const model::ModelConfig config = model::config_from_llama2c(checkpoint.header());
  model::validate_config(config, "checkpoint.bin");
  model::count_parameters(config);
}

// A legacy export of the given shape with every weight 0.5.
std::string llama2c_checkpoint(std::int32_t dim, std::int32_t hidden, std::int32_t layers,
                               std::int32_t heads, std::int32_t kv_heads, std::int32_t vocab,
                               std::int32_t seq_len) {
  const std::int32_t header[] = {dim, hidden, layers, heads, kv_heads, vocab, seq_len};
  const std::int64_t V = vocab < 0 ? -vocab : vocab, D = dim, H = hidden, L = layers;
  const std::int64_t KV = D / heads * kv_heads, half_head = D / heads / 2;
  const std::int64_t floats = V * D + L * D + L * D * D + 2 * L * KV * D + L * D * D + L * D +
                              3 * L * H * D + D + 2 * seq_len * half_head + (vocab < 0 ? V * D : 0);
  std::string bytes(reinterpret_cast<const char*>(header), sizeof header);
  const std::vector<float> weights(static_cast<std::size_t>(floats), 0.5f);
  bytes.append(reinterpret_cast<const char*>(weights.data()), weights.size() * sizeof(float));
  return bytes;
}

std::vector<Seed> llama2c_checkpoint_seeds() {
  return {{"tied", llama2c_checkpoint(8, 12, 1, 2, 1, 16, 4)},
          {"untied", llama2c_checkpoint(8, 4, 2, 4, 4, -8, 2)}};
}

// A GGUF file read as claw reads a model and its tokenizer: the container, the config, every
// layout tensor's bytes (dequantised where stored as Q8_0), and the tokenizer when there is one.
void run_gguf(std::string_view input) {
  const fs::path path = Workspace::get().write("model.gguf", input);
  const io::GgufFile file(path);
  volatile unsigned char sink = 0;
  for (const io::GgufTensor& tensor : file.tensors()) {
    sink = sink ^ static_cast<unsigned char>(tensor.data[0]) ^
           static_cast<unsigned char>(tensor.data[tensor.nbytes - 1]);
  }
  if (file.find("tokenizer.ggml.model") != nullptr) {
    text::tokenizer_from_gguf(file)->encode("Hello world 12", {true, true});
  }
  if (file.find("general.architecture") == nullptr) return;
  const model::StoredModel stored(path);
  for (const model::TensorSpec& spec : model::tensor_layout(stored.config())) {
    const model::StoredModel::Source source = stored.source(spec);
    sink = sink ^ static_cast<unsigned char>(source.view.data[source.view.nbytes - 1]);
  }
  stored.check_nothing_unexpected();
}

// A one-layer model of `architecture` exported as GGUF in `dtype`, with a small SentencePiece
// vocabulary when `with_tokenizer`; `irregular` makes it two layers written as deci, the first
// without attention and the second without its MLP, with o_proj and MLP biases (so both of
// deci's forced paddings and claw's keys are in the file).
std::string gguf_seed(model::Architecture architecture, model::GgufDtype dtype, bool with_tokenizer,
                      bool irregular = false) {
  model::ModelConfig c;
  c.architecture = architecture;
  c.vocab_size = 40;
  c.hidden_size = 32;
  c.num_layers = 1;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 8;
  c.intermediate_sizes = {32};
  c.kv_heads = {2};
  c.max_position_embeddings = 64;
  c.tie_word_embeddings = architecture == model::Architecture::kQwen2;
  c.qkv_bias = architecture == model::Architecture::kQwen2;
  if (irregular) {
    c.num_layers = 2;
    c.intermediate_sizes = {32, 0};
    c.kv_heads = {0, 1};
    c.o_bias = c.mlp_bias = true;
  }
  const model::Model model = model::random_model(c, 1, torch::kFloat32);
  model::GgufExportOptions options;
  options.dtype = dtype;
  options.name = "seed";
  model::GgufExport out = model::gguf_export(model, options);
  if (with_tokenizer) {
    std::vector<std::string> tokens = {"<unk>",
                                       "<s>",
                                       "</s>",
                                       "<0x0A>",
                                       "\xe2\x96\x81"
                                       "a",
                                       "b"};
    std::vector<std::int32_t> types = {2, 3, 3, 6, 1, 1};
    tokens.resize(40, "[PAD]");
    types.resize(40, 5);
    out.metadata.emplace_back("tokenizer.ggml.model", io::GgufValue::string("llama"));
    out.metadata.emplace_back("tokenizer.ggml.tokens", io::GgufValue::string_array(tokens));
    out.metadata.emplace_back("tokenizer.ggml.scores",
                              io::GgufValue::f32_array(std::vector<float>(40, -1.0f)));
    out.metadata.emplace_back("tokenizer.ggml.token_type", io::GgufValue::i32_array(types));
    out.metadata.emplace_back("tokenizer.ggml.bos_token_id", io::GgufValue::u32(1));
  }
  const fs::path path = Workspace::get().write("seed.gguf", "");
  io::write_gguf(path, out.metadata, out.tensors);
  return read_text_file(path);
}

std::vector<Seed> gguf_seeds() {
  return {
      {"llama_f32", gguf_seed(model::Architecture::kLlama, model::GgufDtype::kF32, true)},
      {"qwen2_q8_0", gguf_seed(model::Architecture::kQwen2, model::GgufDtype::kQ8_0, false)},
      {"llama_bf16", gguf_seed(model::Architecture::kLlama, model::GgufDtype::kBF16, false)},
      {"deci_q8_0", gguf_seed(model::Architecture::kQwen2, model::GgufDtype::kQ8_0, false, true)}};
}

}  // namespace

std::vector<FuzzTarget> model_file_targets() {
  return {
      {"model_config", "a HF config.json (model::config_from_hf)", run_model_config,
       model_config_seeds},
      {"llama2c_checkpoint", "a legacy llama2.c checkpoint", run_llama2c_checkpoint,
       llama2c_checkpoint_seeds},
      {"gguf", "a GGUF file as a model and tokenizer (io::parse_gguf, model::config_from_gguf)",
       run_gguf, gguf_seeds},
  };
}

}  // namespace claw::fuzz

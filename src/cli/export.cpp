// claw export MODEL OUT.gguf: a model as one GGUF file for llama.cpp, with its tokenizer.
#include <cstdio>
#include <filesystem>

#include "cli/command.h"
#include "cli/runtime_flags.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/format.h"
#include "core/log.h"
#include "io/gguf.h"
#include "model/gguf_export.h"
#include "model/load.h"
#include "text/gguf_vocab.h"

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

struct ExportArgs {
  std::string input, output, dtype = "f32", tokenizer, name;
  bool force = false;
  bool pad = false;
};

void run(const ExportArgs& args) {
  const fs::path input = resolve_model_argument(args.input);
  const fs::path output = args.output;
  const std::optional<model::GgufDtype> dtype = model::parse_gguf_dtype(args.dtype);
  CLAW_CHECK(dtype.has_value(), "--out-dtype must be f32, f16, bf16 or q8_0, not '", args.dtype,
             "'");
  CLAW_CHECK(!fs::exists(output) || args.force, output.string(),
             ": already exists; pass --force to replace it");
  CLAW_CHECK(!fs::exists(output) || !fs::equivalent(input, output), output.string(),
             ": the output would overwrite the input");
  CLAW_CHECK(!fs::is_directory(output), output.string(), ": is a directory");
  model::GgufExportOptions options;
  options.dtype = *dtype;
  options.shapes = args.pad ? model::GgufShapes::kPadToWidest : model::GgufShapes::kExact;
  options.name = args.name.empty() ? input.filename().string() : args.name;
  const model::ModelConfig config = model::read_model_config(input);
  model::plan_gguf_export(config, options);  // refuses what llama.cpp cannot run, before loading
  const fs::path tokenizer = model_tokenizer_path(input, config.vocab_size, args.tokenizer);
  check_file_writable(output);

  const model::Model model = model::load_model(input);
  model::GgufExport file = model::gguf_export(model, options);
  for (auto& entry :
       text::gguf_tokenizer_metadata(tokenizer, config.vocab_size, config.bos_token_id)) {
    file.metadata.push_back(std::move(entry));
  }
  for (const model::GgufPadding& padding : file.plan.paddings) {
    log::info(
        "padding: ", padding.reason, ", layers ", join(padding.layers), ": ",
        byte_size(static_cast<std::int64_t>(padding.bytes)), " (",
        fixed(100.0 * static_cast<double>(padding.bytes) / static_cast<double>(file.data_bytes), 1),
        "% of the tensor data); the function is unchanged");
  }
  if (!file.q8_fallbacks.empty()) {
    log::info(file.q8_fallbacks.size(),
              " tensors have rows that are not whole Q8_0 blocks of 32 and are stored as f16 (",
              join(file.q8_fallbacks), ")");
  }
  io::write_gguf(output, file.metadata, file.tensors);
  std::printf("wrote %s: %s, %zu tensors, %s, %s\n", output.string().c_str(),
              file.plan.layout.info().name, file.tensors.size(),
              std::string(model::gguf_dtype_name(*dtype)).c_str(),
              byte_size(static_cast<std::int64_t>(fs::file_size(output))).c_str());
}

}  // namespace

void register_export(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a model as one GGUF file for llama.cpp (llama, qwen2, or deci for layers that "
      "differ), with its tokenizer");
  cmd->add_option("model", args->input, "model: HF directory, llama2.c .bin, GGUF file or name")
      ->required();
  cmd->add_option("output", args->output, "GGUF file to create")->required();
  add_out_dtype_flag(
      *cmd, args->dtype,
      "tensor type: f32, f16, bf16 or q8_0 (norms and biases stay f32; default f32)");
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer to store in the file (default: the one found beside the model)");
  cmd->add_option("--name", args->name, "general.name (default: the model's file name)");
  cmd->add_flag("--pad", args->pad,
                "write layers that differ as llama/qwen2, zero-padded to the widest layer, for "
                "engines without deci (default: deci, unpadded)");
  cmd->add_flag("--force", args->force, "replace OUTPUT if it exists");
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli

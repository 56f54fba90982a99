// Subcommand registration and the helpers every command shares.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "model/save.h"

namespace claw::cli {

// Each command file adds its subcommand, flags and action to the root app.
void register_bench(CLI::App& app);
void register_compress(CLI::App& app);
void register_convert(CLI::App& app);
void register_eval(CLI::App& app);
void register_export(CLI::App& app);
void register_fit(CLI::App& app);
void register_generate(CLI::App& app);
void register_info(CLI::App& app);
void register_init(CLI::App& app);
// predict and critical
void register_law_queries(CLI::App& app);
void register_merge(CLI::App& app);
void register_methods(CLI::App& app);
void register_recover(CLI::App& app);
void register_report(CLI::App& app);
void register_study(CLI::App& app);
void register_tokenize(CLI::App& app);

// A model argument: a path, or the name of a model in the data directory (e.g. stories260K).
std::filesystem::path resolve_model_argument(const std::string& argument);

// The tokenizer file of a model: `explicit_path` when the user gave one, else the file stored
// beside the model; an error when there is none.
std::filesystem::path model_tokenizer_path(const std::filesystem::path& model_path,
                                           std::int64_t vocab_size,
                                           const std::string& explicit_path);

// Adds to `save` the files a model derived from `input` should carry: the tokenizer
// `explicit_tokenizer` when given, else the tokenizer and generation files beside the input (a
// GGUF file's tokenizer written out as tokenizer.json or tokenizer.bin). Warns when there are
// none.
void add_companion_files(model::SaveOptions& save, const std::filesystem::path& input,
                         std::int64_t vocab_size, const std::string& explicit_tokenizer);

}  // namespace claw::cli

#include "cli/command.h"

#include "core/data_dir.h"
#include "core/error.h"
#include "core/log.h"
#include "io/gguf.h"
#include "text/gguf_vocab.h"
#include "text/load_tokenizer.h"

namespace claw::cli {
namespace fs = std::filesystem;
namespace {

// Files beside a HF model that describe its tokenizer and generation defaults.
constexpr const char* kCompanionFiles[] = {"tokenizer.json", "tokenizer_config.json",
                                           "special_tokens_map.json", "generation_config.json",
                                           "tokenizer.bin"};

}  // namespace

std::filesystem::path resolve_model_argument(const std::string& argument) {
  const std::optional<std::filesystem::path> path = resolve_model_name(argument);
  CLAW_CHECK(path.has_value(), argument,
             ": no such model file or directory, nor a model of that name in the data directory");
  return *path;
}

std::filesystem::path model_tokenizer_path(const std::filesystem::path& model_path,
                                           std::int64_t vocab_size,
                                           const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  const std::optional<std::filesystem::path> found =
      text::find_tokenizer_beside(model_path, vocab_size);
  CLAW_CHECK(found.has_value(), model_path.string(),
             ": no tokenizer found beside the model; pass --tokenizer");
  return *found;
}

void add_companion_files(model::SaveOptions& save, const fs::path& input, std::int64_t vocab_size,
                         const std::string& explicit_tokenizer) {
  const fs::path tokenizer = explicit_tokenizer.empty()
                                 ? text::find_tokenizer_beside(input, vocab_size).value_or("")
                                 : fs::path(explicit_tokenizer);
  if (!tokenizer.empty() && fs::is_regular_file(tokenizer) && io::is_gguf_file(tokenizer)) {
    for (auto& file : text::gguf_tokenizer_files(io::GgufFile(tokenizer))) {
      save.generated_files.push_back(std::move(file));
    }
    return;
  }
  std::vector<std::pair<fs::path, std::string>> files;
  if (!explicit_tokenizer.empty()) {
    files = text::tokenizer_files(explicit_tokenizer);
  } else if (fs::is_directory(input)) {
    for (const char* name : kCompanionFiles) {
      if (fs::exists(input / name)) files.emplace_back(input / name, name);
    }
  } else if (!tokenizer.empty()) {
    files.emplace_back(tokenizer, "tokenizer.bin");
  }
  if (files.empty()) log::warn("no tokenizer found for ", input.string(), "; pass --tokenizer");
  for (auto& file : files) save.extra_files.push_back(std::move(file));
}

}  // namespace claw::cli

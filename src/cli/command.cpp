#include "cli/command.h"

#include "core/data_dir.h"
#include "core/error.h"
#include "text/load_tokenizer.h"

namespace claw::cli {

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

}  // namespace claw::cli

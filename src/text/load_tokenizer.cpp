#include "text/load_tokenizer.h"

#include "core/error.h"
#include "io/gguf.h"
#include "text/gguf_vocab.h"
#include "text/llama2c_tokenizer.h"
#include "text/tokenizer_json.h"

namespace claw::text {
namespace fs = std::filesystem;

std::unique_ptr<Tokenizer> load_tokenizer(const fs::path& path) {
  CLAW_CHECK(fs::exists(path), path.string(), ": tokenizer file not found");
  if (path.extension() == ".json") return read_tokenizer_json(path);
  if (io::is_gguf_file(path)) return tokenizer_from_gguf(io::GgufFile(path));
  return std::make_unique<Llama2cTokenizer>(Llama2cTokenizer::from_file(path));
}

std::optional<fs::path> find_tokenizer_beside(const fs::path& model, std::int64_t vocab_size) {
  const bool is_dir = fs::is_directory(model);
  if (!is_dir && io::is_gguf_file(model)) return model;  // a GGUF file carries its tokenizer
  const fs::path dir = is_dir ? model : model.parent_path();
  std::vector<fs::path> candidates;
  if (is_dir) candidates.push_back(dir / "tokenizer.json");
  candidates.push_back(dir / "tokenizer.bin");
  if (!is_dir) candidates.push_back(dir / concat("tok", vocab_size, ".bin"));
  for (const fs::path& candidate : candidates) {
    if (fs::exists(candidate)) return candidate;
  }
  return std::nullopt;
}

std::vector<std::pair<fs::path, std::string>> tokenizer_files(const fs::path& tokenizer) {
  CLAW_CHECK(fs::exists(tokenizer), tokenizer.string(), ": tokenizer file not found");
  CLAW_CHECK(!io::is_gguf_file(tokenizer), tokenizer.string(),
             ": a GGUF file's tokenizer is written out with gguf_tokenizer_files, not copied");
  if (tokenizer.extension() != ".json") return {{tokenizer, "tokenizer.bin"}};
  std::vector<std::pair<fs::path, std::string>> files{{tokenizer, "tokenizer.json"}};
  const fs::path config = tokenizer.parent_path() / "tokenizer_config.json";
  if (fs::exists(config)) files.emplace_back(config, "tokenizer_config.json");
  return files;
}

}  // namespace claw::text

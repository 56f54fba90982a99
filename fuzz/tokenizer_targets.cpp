// Tokenizer files: HF tokenizer.json and the llama2.c tokenizer .bin.
#include "core/json.h"
#include "core/text_file.h"
#include "fuzz/targets.h"
#include "fuzz/workspace.h"
#include "text/llama2c_tokenizer.h"
#include "text/tokenizer_json.h"

namespace claw::fuzz {
namespace {

// Text that reaches every stage of a tokenizer: specials, digits, contractions, whitespace runs,
// accents that normalization changes and characters outside the BMP.
constexpr std::string_view kSampleText =
    "<|begin_of_text|>Hello, world! It's 2024:  12345\tcafe\xCC\x81 \xE4\xBD\xA0\xE5\xA5\xBD "
    "\xF0\x9F\x98\x80\n\n<|endoftext|><s></s>";

// Encodes the sample both ways and decodes every id back, as claw's commands do.
void use(const text::Tokenizer& tokenizer) {
  for (const bool special : {false, true}) {
    const std::vector<std::int32_t> ids = tokenizer.encode(kSampleText, {special, special});
    tokenizer.decode(ids);
  }
}

void run_tokenizer_json(std::string_view input) {
  use(*text::read_tokenizer_json(Workspace::get().write("tokenizer.json", input)));
}

// A real tokenizer.json cut down to its first `keep` ids and the merges among them, with its
// added tokens renumbered after them: the structure of the real file at a size fuzzing can mutate.
std::string small_tokenizer_json(const std::string& relative, std::int64_t keep) {
  const std::filesystem::path path = Workspace::get().real_data() / relative;
  Json root = parse_json(read_text_file(path), path.string());
  Json& model = root["model"];
  Json vocab = Json::object();
  for (const auto& [token, id] : model["vocab"].items()) {
    if (id.get<std::int64_t>() < keep) vocab[token] = id;
  }
  Json merges = Json::array();
  for (const Json& merge : model["merges"]) {
    const std::string text = merge.is_string()
                                 ? merge.get<std::string>()
                                 : merge[0].get<std::string>() + " " + merge[1].get<std::string>();
    const std::size_t space = text.find(' ');
    const std::string left = text.substr(0, space), right = text.substr(space + 1);
    if (vocab.contains(left) && vocab.contains(right) && vocab.contains(left + right)) {
      merges.push_back(merge);
    }
  }
  model["vocab"] = std::move(vocab);
  model["merges"] = std::move(merges);
  std::int64_t next_id = keep;
  for (Json& token : root["added_tokens"]) token["id"] = next_id++;
  return root.dump(1);
}

std::vector<Seed> tokenizer_json_seeds() {
  return {{"llama3", small_tokenizer_json("tokenizers/llama3/tokenizer.json", 600)},
          {"qwen", small_tokenizer_json("tokenizers/qwen/tokenizer.json", 600)}};
}

void run_llama2c_tokenizer(std::string_view input) {
  use(text::Llama2cTokenizer::from_file(Workspace::get().write("tokenizer.bin", input)));
}

std::vector<Seed> llama2c_tokenizer_seeds() {
  return {
      {"tok512", read_text_file(Workspace::get().real_data() / "models/stories260K/tok512.bin")}};
}

}  // namespace

std::vector<FuzzTarget> tokenizer_targets() {
  return {
      {"tokenizer_json", "a HF tokenizer.json, then encoding and decoding with it",
       run_tokenizer_json, tokenizer_json_seeds},
      {"llama2c_tokenizer", "a llama2.c tokenizer .bin, then encoding and decoding with it",
       run_llama2c_tokenizer, llama2c_tokenizer_seeds},
  };
}

}  // namespace claw::fuzz

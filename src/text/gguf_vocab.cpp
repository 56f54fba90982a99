#include "text/gguf_vocab.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/json.h"
#include "io/llama2c.h"
#include "text/byte_level.h"
#include "text/llama2c_tokenizer.h"
#include "text/tokenizer_json.h"

namespace claw::text {
namespace fs = std::filesystem;
namespace {

using io::GgufValue;

// The byte-level pre-tokenizers llama.cpp knows by name, as their tokenizer.json states them.
struct KnownPreTokenizer {
  const char* name;
  const char* regex;
  bool nfc;            // the normalizer is NFC (else none)
  bool ignore_merges;  // a word that is itself a token is not merged
};

constexpr KnownPreTokenizer kPreTokenizers[] = {
    {"qwen2",
     R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     true, false},
    {"llama-bpe",
     R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     false, true},
};

// SentencePiece writes a space as U+2581; llama2.c's export turned it back into a space.
constexpr std::string_view kSpaceMark = "\xe2\x96\x81";

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The regex of the first Split step of a tokenizer.json pre_tokenizer node, or "".
std::string split_regex(const Json& node) {
  if (!node.is_object()) return "";
  if (node.value("type", "") == "Split") {
    const auto pattern = node.find("pattern");
    if (pattern != node.end() && pattern->is_object() && pattern->contains("Regex") &&
        (*pattern)["Regex"].is_string()) {
      return (*pattern)["Regex"].get<std::string>();
    }
    return "";
  }
  if (const auto steps = node.find("pretokenizers"); steps != node.end() && steps->is_array()) {
    for (const Json& step : *steps) {
      if (std::string regex = split_regex(step); !regex.empty()) return regex;
    }
  }
  return "";
}

const KnownPreTokenizer& known_pre_tokenizer(const Json& root, const std::string& source) {
  const std::string regex = split_regex(root.value("pre_tokenizer", Json()));
  const Json& normalizer = root.contains("normalizer") ? root["normalizer"] : Json();
  const bool nfc = normalizer.is_object() && normalizer.value("type", "") == "NFC";
  const Json& model = root.value("model", Json::object());
  const bool ignore_merges = model.is_object() && model.value("ignore_merges", false);
  for (const KnownPreTokenizer& known : kPreTokenizers) {
    if (regex == known.regex && nfc == known.nfc && (normalizer.is_null() || nfc) &&
        ignore_merges == known.ignore_merges) {
      return known;
    }
  }
  CLAW_FAIL(source,
            ": its pre-tokenizer (split regex, normalizer, ignore_merges) is not one llama.cpp "
            "knows by name (qwen2 for Qwen2.5, llama-bpe for Llama-3); refusing to guess");
}

const KnownPreTokenizer& known_pre_tokenizer(const std::string& name, const std::string& source) {
  for (const KnownPreTokenizer& known : kPreTokenizers) {
    if (name == known.name) return known;
  }
  CLAW_FAIL(source, ": tokenizer.ggml.pre '", name,
            "' is not a pre-tokenizer claw knows (qwen2, llama-bpe)");
}

std::vector<std::int32_t> type_ids(const std::vector<GgufTokenType>& types) {
  std::vector<std::int32_t> out;
  out.reserve(types.size());
  for (GgufTokenType type : types) out.push_back(static_cast<std::int32_t>(type));
  return out;
}

// Ids below `model_vocab` the tokenizer leaves empty become unused [PAD<id>] tokens.
void pad_tokens(std::vector<std::string>& tokens, std::vector<GgufTokenType>& types,
                std::int64_t model_vocab, const std::string& source) {
  CLAW_CHECK(static_cast<std::int64_t>(tokens.size()) <= model_vocab, source,
             ": the tokenizer has ", tokens.size(), " tokens but the model's vocabulary only ",
             model_vocab);
  tokens.resize(static_cast<std::size_t>(model_vocab));
  types.resize(static_cast<std::size_t>(model_vocab), GgufTokenType::kUnused);
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    if (types[id] == GgufTokenType::kUnused) tokens[id] = concat("[PAD", id, "]");
  }
}

io::GgufMetadata bpe_metadata(const fs::path& path, std::int64_t model_vocab,
                              std::optional<std::int64_t> model_bos) {
  const std::string source = path.string();
  // claw's own reader validates the file and settles BOS, EOS and add_bos as claw runs it.
  const std::unique_ptr<ByteLevelBpeTokenizer> tokenizer = read_tokenizer_json(path);
  const Json root = read_json_file(path);
  const KnownPreTokenizer& pre = known_pre_tokenizer(root, source);
  std::vector<std::string> tokens;
  std::vector<GgufTokenType> types;
  const auto place = [&](std::int64_t id, std::string text, GgufTokenType type) {
    if (static_cast<std::size_t>(id) >= tokens.size()) {
      tokens.resize(static_cast<std::size_t>(id) + 1);
      types.resize(static_cast<std::size_t>(id) + 1, GgufTokenType::kUnused);
    }
    tokens[static_cast<std::size_t>(id)] = std::move(text);
    types[static_cast<std::size_t>(id)] = type;
  };
  for (const auto& [text, id] : root["model"]["vocab"].items()) {
    place(id.get<std::int64_t>(), text, GgufTokenType::kNormal);
  }
  if (const auto added = root.find("added_tokens"); added != root.end() && added->is_array()) {
    for (const Json& token : *added) {
      place(token["id"].get<std::int64_t>(), token["content"].get<std::string>(),
            token.value("special", false) ? GgufTokenType::kControl : GgufTokenType::kUserDefined);
    }
  }
  pad_tokens(tokens, types, model_vocab, source);
  std::vector<std::string> merges;
  for (const Json& merge : root["model"]["merges"]) {
    merges.push_back(merge.is_string()
                         ? merge.get<std::string>()
                         : concat(merge[0].get<std::string>(), " ", merge[1].get<std::string>()));
  }
  io::GgufMetadata m;
  m.emplace_back("tokenizer.ggml.model", GgufValue::string("gpt2"));
  m.emplace_back("tokenizer.ggml.pre", GgufValue::string(pre.name));
  m.emplace_back("tokenizer.ggml.tokens", GgufValue::string_array(std::move(tokens)));
  m.emplace_back("tokenizer.ggml.token_type", GgufValue::i32_array(type_ids(types)));
  m.emplace_back("tokenizer.ggml.merges", GgufValue::string_array(std::move(merges)));
  const std::optional<std::int64_t> bos =
      tokenizer->bos_id() ? std::optional<std::int64_t>(*tokenizer->bos_id()) : model_bos;
  if (bos) m.emplace_back("tokenizer.ggml.bos_token_id", GgufValue::u32(*bos));
  if (bos && !tokenizer->bos_id()) {
    // llama.cpp wants a BOS id; claw's tokenizer has none, and its evaluations add none.
    m.emplace_back("claw.tokenizer.has_bos", GgufValue::boolean(false));
  }
  if (tokenizer->eos_id()) {
    m.emplace_back("tokenizer.ggml.eos_token_id", GgufValue::u32(*tokenizer->eos_id()));
  }
  m.emplace_back("tokenizer.ggml.add_bos_token",
                 GgufValue::boolean(tokenizer->adds_bos_by_default()));
  return m;
}

io::GgufMetadata llama2c_metadata(const fs::path& path, std::int64_t model_vocab) {
  const io::Llama2cVocab vocab = io::read_llama2c_tokenizer(path);
  std::vector<std::string> tokens;
  std::vector<GgufTokenType> types;
  std::vector<float> scores = vocab.scores;
  for (const std::string& piece : vocab.pieces) {
    const bool byte = piece.size() == 6 && piece.rfind("<0x", 0) == 0 && piece.back() == '>';
    GgufTokenType type = byte ? GgufTokenType::kByte : GgufTokenType::kNormal;
    if (tokens.size() == 0) type = GgufTokenType::kUnknown;                        // <unk>
    if (tokens.size() == 1 || tokens.size() == 2) type = GgufTokenType::kControl;  // <s> </s>
    tokens.push_back(replace_all(piece, " ", kSpaceMark));
    types.push_back(type);
  }
  pad_tokens(tokens, types, model_vocab, path.string());
  scores.resize(tokens.size(), 0.0f);
  io::GgufMetadata m;
  m.emplace_back("tokenizer.ggml.model", GgufValue::string("llama"));
  m.emplace_back("tokenizer.ggml.tokens", GgufValue::string_array(std::move(tokens)));
  m.emplace_back("tokenizer.ggml.scores", GgufValue::f32_array(scores));
  m.emplace_back("tokenizer.ggml.token_type", GgufValue::i32_array(type_ids(types)));
  m.emplace_back("tokenizer.ggml.bos_token_id", GgufValue::u32(1));
  m.emplace_back("tokenizer.ggml.eos_token_id", GgufValue::u32(2));
  m.emplace_back("tokenizer.ggml.unknown_token_id", GgufValue::u32(0));
  m.emplace_back("tokenizer.ggml.add_bos_token", GgufValue::boolean(true));
  m.emplace_back("tokenizer.ggml.add_eos_token", GgufValue::boolean(false));
  return m;
}

// The tokenizer keys of a GGUF file, typed and checked.
struct GgufVocab {
  std::string model, pre;
  std::vector<std::string> tokens;
  std::vector<std::int64_t> types;
  std::vector<double> scores;
  std::vector<std::string> merges;
  std::optional<std::int64_t> bos, eos;
  bool add_bos = false;
};

GgufVocab read_vocab(const io::GgufFile& file) {
  const std::string source = file.path().string();
  GgufVocab v;
  const auto value = [&](const char* key, io::GgufType type, bool array) -> const GgufValue* {
    const GgufValue* found = file.find(key);
    if (found == nullptr) return nullptr;
    const bool integer_ok = type == io::GgufType::kU32 && found->is_integer();
    CLAW_CHECK(found->array == array && (found->type == type || integer_ok), source,
               ": metadata key '", key, "' must be ", array ? "an array of " : "a ",
               io::gguf_type_name(type));
    return found;
  };
  const GgufValue* model = value("tokenizer.ggml.model", io::GgufType::kString, false);
  CLAW_CHECK(model != nullptr, source, ": has no tokenizer (tokenizer.ggml.model is missing)");
  v.model = model->strings.front();
  const GgufValue* tokens = value("tokenizer.ggml.tokens", io::GgufType::kString, true);
  CLAW_CHECK(tokens != nullptr, source, ": missing tokenizer.ggml.tokens");
  v.tokens = tokens->strings;
  if (const GgufValue* types = value("tokenizer.ggml.token_type", io::GgufType::kI32, true)) {
    v.types = types->ints;
  }
  v.types.resize(v.tokens.size(), static_cast<std::int64_t>(GgufTokenType::kNormal));
  CLAW_CHECK(v.types.size() == v.tokens.size(), source,
             ": tokenizer.ggml.token_type and tokenizer.ggml.tokens differ in length");
  if (const GgufValue* scores = value("tokenizer.ggml.scores", io::GgufType::kF32, true)) {
    v.scores = scores->floats;
    CLAW_CHECK(v.scores.size() == v.tokens.size(), source,
               ": tokenizer.ggml.scores and tokenizer.ggml.tokens differ in length");
  }
  if (const GgufValue* merges = value("tokenizer.ggml.merges", io::GgufType::kString, true)) {
    v.merges = merges->strings;
  }
  if (const GgufValue* pre = value("tokenizer.ggml.pre", io::GgufType::kString, false)) {
    v.pre = pre->strings.front();
  }
  const auto id = [&](const char* key) -> std::optional<std::int64_t> {
    const GgufValue* found = value(key, io::GgufType::kU32, false);
    if (found == nullptr) return std::nullopt;
    const std::int64_t n = found->ints.front();
    CLAW_CHECK(n >= 0 && n < static_cast<std::int64_t>(v.tokens.size()), source, ": ", key, " ", n,
               " is not a token id (", v.tokens.size(), " tokens)");
    return n;
  };
  v.bos = id("tokenizer.ggml.bos_token_id");
  v.eos = id("tokenizer.ggml.eos_token_id");
  if (const GgufValue* has_bos = value("claw.tokenizer.has_bos", io::GgufType::kBool, false)) {
    if (has_bos->ints.front() == 0) v.bos.reset();
  }
  if (const GgufValue* add = value("tokenizer.ggml.add_bos_token", io::GgufType::kBool, false)) {
    v.add_bos = add->ints.front() != 0;
  }
  return v;
}

io::Llama2cVocab llama2c_vocab(const GgufVocab& v, const std::string& source) {
  CLAW_CHECK(v.scores.size() == v.tokens.size(), source,
             ": a llama tokenizer needs tokenizer.ggml.scores");
  io::Llama2cVocab vocab;
  for (std::size_t i = 0; i < v.tokens.size(); ++i) {
    if (v.types[i] == static_cast<std::int64_t>(GgufTokenType::kUnused)) continue;
    CLAW_CHECK(vocab.pieces.size() == i, source, ": an unused token (", i,
               ") lies before used ones; claw reads only trailing padding");
    vocab.pieces.push_back(replace_all(v.tokens[i], kSpaceMark, " "));
    vocab.scores.push_back(static_cast<float>(v.scores[i]));
    vocab.max_token_length =
        std::max(vocab.max_token_length, static_cast<std::int32_t>(vocab.pieces.back().size()));
  }
  return vocab;
}

// tokenizer.json and tokenizer_config.json as a byte-level BPE file of this pre-tokenizer.
std::pair<Json, Json> bpe_json(const GgufVocab& v, const std::string& source) {
  const KnownPreTokenizer& pre = known_pre_tokenizer(v.pre, source);
  Json vocab = Json::object();
  Json added = Json::array();
  const auto is = [&](std::size_t i, GgufTokenType type) {
    return v.types[i] == static_cast<std::int64_t>(type);
  };
  for (std::size_t i = 0; i < v.tokens.size(); ++i) {
    if (is(i, GgufTokenType::kUnused)) continue;
    if (is(i, GgufTokenType::kControl) || is(i, GgufTokenType::kUserDefined)) {
      added.push_back({{"id", i},
                       {"content", v.tokens[i]},
                       {"special", is(i, GgufTokenType::kControl)},
                       {"normalized", false}});
    } else {
      vocab[v.tokens[i]] = i;
    }
  }
  Json merges = Json::array();
  for (const std::string& merge : v.merges) merges.push_back(merge);
  Json root = {
      {"normalizer", pre.nfc ? Json{{"type", "NFC"}} : Json()},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"},
           {"pattern", {{"Regex", pre.regex}}},
           {"behavior", "Isolated"},
           {"invert", false}},
          {{"type", "ByteLevel"},
           {"add_prefix_space", false},
           {"trim_offsets", false},
           {"use_regex", false}}}}}},
      {"post_processor", Json()},
      {"decoder", {{"type", "ByteLevel"}}},
      {"added_tokens", added},
      {"model",
       {{"type", "BPE"},
        {"vocab", vocab},
        {"merges", merges},
        {"ignore_merges", pre.ignore_merges}}},
  };
  const auto content = [&](std::int64_t id) {
    const auto i = static_cast<std::size_t>(id);
    if (is(i, GgufTokenType::kControl) || is(i, GgufTokenType::kUserDefined)) return v.tokens[i];
    const std::optional<std::string> bytes = byte_level_decode(v.tokens[i]);
    CLAW_CHECK(bytes.has_value(), source, ": token ", id, " is not byte-level text");
    return *bytes;
  };
  Json config = {{"add_bos_token", v.add_bos}};
  config["bos_token"] = v.bos ? Json(content(*v.bos)) : Json();
  config["eos_token"] = v.eos ? Json(content(*v.eos)) : Json();
  return {root, config};
}

}  // namespace

io::GgufMetadata gguf_tokenizer_metadata(const fs::path& tokenizer, std::int64_t model_vocab,
                                         std::optional<std::int64_t> model_bos) {
  CLAW_CHECK(fs::exists(tokenizer), tokenizer.string(), ": tokenizer file not found");
  if (io::is_gguf_file(tokenizer)) {
    const io::GgufFile file(tokenizer);
    io::GgufMetadata m;
    for (const auto& [key, value] : file.metadata()) {
      if (key.rfind("tokenizer.", 0) == 0 || key.rfind("claw.tokenizer.", 0) == 0) {
        m.emplace_back(key, value);
      }
    }
    return m;
  }
  if (tokenizer.extension() == ".json") return bpe_metadata(tokenizer, model_vocab, model_bos);
  return llama2c_metadata(tokenizer, model_vocab);
}

std::unique_ptr<Tokenizer> tokenizer_from_gguf(const io::GgufFile& file) {
  const std::string source = file.path().string();
  const GgufVocab v = read_vocab(file);
  if (v.model == "llama") return std::make_unique<Llama2cTokenizer>(llama2c_vocab(v, source));
  CLAW_CHECK(v.model == "gpt2", source, ": tokenizer.ggml.model '", v.model,
             "' is not supported (gpt2 and llama are)");
  const auto [root, config] = bpe_json(v, source);
  return tokenizer_from_json(root, config, source, source);
}

std::vector<std::pair<std::string, std::string>> gguf_tokenizer_files(const io::GgufFile& file) {
  const std::string source = file.path().string();
  const GgufVocab v = read_vocab(file);
  if (v.model == "gpt2") {
    const auto [root, config] = bpe_json(v, source);
    return {{"tokenizer.json", root.dump()}, {"tokenizer_config.json", config.dump(2)}};
  }
  CLAW_CHECK(v.model == "llama", source, ": tokenizer.ggml.model '", v.model,
             "' is not supported (gpt2 and llama are)");
  const io::Llama2cVocab vocab = llama2c_vocab(v, source);
  std::string bytes;
  const auto put = [&](const void* data, std::size_t size) {
    bytes.append(static_cast<const char*>(data), size);
  };
  put(&vocab.max_token_length, 4);
  for (std::size_t i = 0; i < vocab.pieces.size(); ++i) {
    const auto length = static_cast<std::int32_t>(vocab.pieces[i].size());
    put(&vocab.scores[i], 4);
    put(&length, 4);
    put(vocab.pieces[i].data(), vocab.pieces[i].size());
  }
  return {{"tokenizer.bin", bytes}};
}

}  // namespace claw::text

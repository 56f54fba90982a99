#include "text/tokenizer_json.h"

#include <unordered_map>

#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "text/byte_level.h"

namespace claw::text {
namespace fs = std::filesystem;
namespace {

const Json& section(const Json& root, const char* key) {
  static const Json kNull;
  const auto it = root.find(key);
  return it == root.end() ? kNull : *it;
}

// The BPE vocabulary as raw bytes per id, and the map from token text to id for the merges.
struct Vocabulary {
  std::vector<std::string> bytes;
  std::vector<bool> unused;
  std::unordered_map<std::string, std::int32_t> ids_by_text;
};

Vocabulary read_vocabulary(const Json& model, std::size_t added_count, const std::string& source) {
  const Json& vocab = section(model, "vocab");
  CLAW_CHECK(vocab.is_object(), source, ": model.vocab must be an object of token -> id");
  // Ids must be dense up to a few gaps that added tokens fill, which also bounds the allocation.
  const std::size_t limit = vocab.size() + added_count;
  Vocabulary result;
  result.bytes.resize(vocab.size());
  result.unused.assign(vocab.size(), true);
  result.ids_by_text.reserve(vocab.size());
  for (const auto& [text, value] : vocab.items()) {
    CLAW_CHECK(value.is_number_integer() && value.get<long long>() >= 0 &&
                   value.get<unsigned long long>() < limit,
               source, ": model.vocab['", text, "'] must be an id below ", limit, ", got ",
               value.dump());
    const auto id = value.get<std::int32_t>();
    if (static_cast<std::size_t>(id) >= result.bytes.size()) {
      result.bytes.resize(id + 1);
      result.unused.resize(id + 1, true);
    }
    CLAW_CHECK(result.unused[id], source, ": model.vocab gives id ", id, " to two tokens");
    std::optional<std::string> bytes = byte_level_decode(text);
    CLAW_CHECK(bytes.has_value(), source, ": model.vocab token '", text,
               "' is not byte-level text; claw supports byte-level BPE only");
    result.bytes[id] = std::move(*bytes);
    result.unused[id] = false;
    result.ids_by_text.emplace(text, id);
  }
  return result;
}

std::vector<BpeModel::MergeRule> read_merges(const Json& model, const Vocabulary& vocabulary,
                                             const std::string& source) {
  const Json& merges = section(model, "merges");
  CLAW_CHECK(merges.is_array(), source, ": model.merges must be a list");
  const auto id_of = [&](const std::string& text, std::size_t rank) {
    const auto it = vocabulary.ids_by_text.find(text);
    CLAW_CHECK(it != vocabulary.ids_by_text.end(), source, ": merge ", rank, " names '", text,
               "', which is not in model.vocab");
    return it->second;
  };
  std::vector<BpeModel::MergeRule> rules;
  rules.reserve(merges.size());
  std::string left, right;
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const Json& merge = merges[rank];
    // Two forms: "a b" (older files) and ["a", "b"] (tokenizers >= 0.20).
    if (merge.is_string()) {
      const std::string& text = merge.get_ref<const std::string&>();
      const std::size_t space = text.find(' ');
      CLAW_CHECK(space != std::string::npos && text.find(' ', space + 1) == std::string::npos,
                 source, ": merge ", rank, " must be two tokens separated by one space, got '",
                 text, "'");
      left = text.substr(0, space);
      right = text.substr(space + 1);
    } else {
      CLAW_CHECK(
          merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string(),
          source, ": merge ", rank, " must be \"a b\" or [\"a\", \"b\"], got ", merge.dump());
      left = merge[0].get<std::string>();
      right = merge[1].get<std::string>();
    }
    rules.push_back({id_of(left, rank), id_of(right, rank), id_of(left + right, rank)});
  }
  return rules;
}

BpeModel read_model(const Json& root, std::size_t added_count, const std::string& source) {
  const Json& model = section(root, "model");
  CLAW_CHECK(model.is_object(), source, ": missing the 'model' section");
  const std::string type = json_optional<std::string>(model, "type", "BPE", source);
  CLAW_CHECK(type == "BPE", source, ": model type '", type,
             "' is not supported (claw supports byte-level BPE)");
  const Json& dropout = section(model, "dropout");
  CLAW_CHECK(dropout.is_null() || (dropout.is_number() && dropout.get<double>() == 0.0), source,
             ": BPE dropout makes encoding random; claw needs it null or 0");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const std::string affix = json_optional<std::string>(model, key, "", source);
    CLAW_CHECK(affix.empty(), source, ": model.", key, " '", affix, "' is not supported");
  }
  CLAW_CHECK(!json_optional<bool>(model, "byte_fallback", false, source), source,
             ": BPE byte_fallback (SentencePiece converted to tokenizer.json) is not supported; "
             "use the model's llama2.c tokenizer.bin");
  Vocabulary vocabulary = read_vocabulary(model, added_count, source);
  const std::vector<BpeModel::MergeRule> merges = read_merges(model, vocabulary, source);
  return BpeModel(std::move(vocabulary.bytes), std::move(vocabulary.unused), merges,
                  json_optional<bool>(model, "ignore_merges", false, source), source);
}

std::vector<AddedToken> read_added_tokens(const Json& root, const Normalizer& normalizer,
                                          const std::string& source) {
  const Json& list = section(root, "added_tokens");
  if (list.is_null()) return {};
  CLAW_CHECK(list.is_array(), source, ": added_tokens must be a list");
  std::vector<AddedToken> tokens;
  for (const Json& entry : list) {
    AddedToken token;
    token.content = json_required<std::string>(entry, "content", source);
    const std::string name = concat("added token '", token.content, "'");
    token.id = json_required<std::int32_t>(entry, "id", source);
    CLAW_CHECK(!token.content.empty(), source, ": an added token has empty content");
    token.special = json_optional<bool>(entry, "special", false, source);
    token.lstrip = json_optional<bool>(entry, "lstrip", false, source);
    token.rstrip = json_optional<bool>(entry, "rstrip", false, source);
    CLAW_CHECK(!json_optional<bool>(entry, "single_word", false, source), source, ": ", name,
               " sets single_word, which is not supported");
    // claw matches added tokens in the raw text; a token HF matches in normalized text is the same
    // only when normalizing leaves its content alone.
    CLAW_CHECK(!json_optional<bool>(entry, "normalized", false, source) ||
                   normalizer.apply(token.content) == token.content,
               source, ": ", name,
               " is matched after normalization, which changes it; not supported");
    tokens.push_back(std::move(token));
  }
  return tokens;
}

void check_decoder(const Json& node, const std::string& source) {
  CLAW_CHECK(!node.is_null(), source, ": no decoder; byte-level BPE needs the ByteLevel decoder");
  const std::string type = json_required<std::string>(node, "type", source);
  if (type == "Sequence") {
    const Json& steps = section(node, "decoders");
    CLAW_CHECK(steps.is_array() && steps.size() == 1, source,
               ": a decoder Sequence other than [ByteLevel] is not supported");
    check_decoder(steps[0], source);
    return;
  }
  CLAW_CHECK(type == "ByteLevel", source, ": decoder '", type,
             "' is not supported (claw supports ByteLevel)");
}

// The special token the post-processor puts before the text, if any. Only the forms that change
// nothing but a leading BOS are accepted; the caller chooses whether to add it.
std::optional<std::string> template_bos(const Json& node, const std::string& source) {
  if (node.is_null()) return std::nullopt;
  const std::string type = json_required<std::string>(node, "type", source);
  if (type == "ByteLevel") return std::nullopt;  // only adjusts offsets
  if (type == "Sequence") {
    const Json& steps = section(node, "processors");
    CLAW_CHECK(steps.is_array(), source, ": a Sequence post_processor needs 'processors'");
    std::optional<std::string> bos;
    for (const Json& step : steps) {
      if (auto found = template_bos(step, source)) bos = std::move(found);
    }
    return bos;
  }
  CLAW_CHECK(type == "TemplateProcessing", source, ": post_processor '", type,
             "' is not supported (claw supports ByteLevel and TemplateProcessing)");
  const Json& single = section(node, "single");
  CLAW_CHECK(single.is_array(), source, ": TemplateProcessing needs a 'single' template");
  std::optional<std::string> bos;
  bool text_seen = false;
  for (const Json& item : single) {
    if (item.contains("Sequence")) {
      text_seen = true;
      continue;
    }
    CLAW_CHECK(item.contains("SpecialToken") && !text_seen && !bos, source,
               ": the post_processor template ", single.dump(),
               " is not supported (claw supports at most one special token before the text)");
    bos = json_required<std::string>(item["SpecialToken"], "id", source);
  }
  return bos;
}

// bos_token / eos_token of tokenizer_config.json: a string, {"content": ...} or null.
std::optional<std::string> config_token(const Json& config, const char* key,
                                        const std::string& source) {
  const Json& value = section(config, key);
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) return value.get<std::string>();
  return json_required<std::string>(value, "content", concat(source, " ", key));
}

std::int32_t token_id(const std::string& content, const ByteLevelBpeTokenizer::Parts& parts,
                      const std::string& source) {
  if (const AddedToken* token = parts.added_tokens.by_content(content)) return token->id;
  const std::optional<std::int32_t> id = parts.model.find(content);
  CLAW_CHECK(id.has_value(), source, ": names the token '", content,
             "', which the tokenizer does not have");
  return *id;
}

}  // namespace

std::unique_ptr<ByteLevelBpeTokenizer> read_tokenizer_json(const fs::path& path) {
  const fs::path config_path = path.parent_path() / "tokenizer_config.json";
  const Json config = fs::exists(config_path) ? read_json_file(config_path) : Json();
  return tokenizer_from_json(read_json_file(path), config, path.string(), config_path.string());
}

std::unique_ptr<ByteLevelBpeTokenizer> tokenizer_from_json(const Json& root, const Json& config,
                                                           const std::string& source,
                                                           const std::string& config_source) {
  CLAW_CHECK(root.is_object(), source, ": expected a tokenizer.json object");
  for (const char* key : {"truncation", "padding"}) {
    if (!section(root, key).is_null()) {
      log::warn(source, ": ignoring its '", key, "' settings; claw decides sequence lengths");
    }
  }
  Normalizer normalizer = Normalizer::from_json(section(root, "normalizer"), source);
  PreTokenizer pre_tokenizer = PreTokenizer::from_json(section(root, "pre_tokenizer"), source);
  check_decoder(section(root, "decoder"), source);
  std::vector<AddedToken> added = read_added_tokens(root, normalizer, source);
  BpeModel model = read_model(root, added.size(), source);
  const std::int64_t id_limit = model.size() + static_cast<std::int64_t>(added.size());
  for (const AddedToken& token : added) {
    CLAW_CHECK(token.id >= 0 && token.id < id_limit, source, ": added token '", token.content,
               "' has id ", token.id, ", outside [0, ", id_limit, ")");
  }
  AddedTokenMatcher matcher(std::move(added));

  ByteLevelBpeTokenizer::Parts parts{std::move(normalizer), std::move(pre_tokenizer),
                                     std::move(model),      std::move(matcher),
                                     std::nullopt,          std::nullopt};
  if (auto bos = template_bos(section(root, "post_processor"), source)) {
    parts.bos = token_id(*bos, parts, source);
    parts.adds_bos = true;
  }
  if (!config.is_null()) {
    if (auto bos = config_token(config, "bos_token", config_source)) {
      parts.bos = token_id(*bos, parts, config_source);
    }
    if (auto eos = config_token(config, "eos_token", config_source)) {
      parts.eos = token_id(*eos, parts, config_source);
    }
    // transformers rebuilds the post-processor from add_bos_token where the config sets it.
    const Json& add_bos = section(config, "add_bos_token");
    if (add_bos.is_boolean()) parts.adds_bos = add_bos.get<bool>();
  }
  return std::make_unique<ByteLevelBpeTokenizer>(std::move(parts));
}

}  // namespace claw::text

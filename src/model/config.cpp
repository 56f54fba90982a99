#include "model/config.h"

#include <algorithm>
#include <set>

#include "core/error.h"

namespace claw::model {
namespace {

// Bounds far beyond any real model. Sizes past them can only come from a damaged or hostile
// config.json, and are refused before the arithmetic on them (element counts, byte sizes) could
// overflow or an allocation could exhaust memory.
constexpr std::int64_t kMaxLayers = 4096;
constexpr std::int64_t kMaxSize = std::int64_t{1} << 24;
constexpr double kMaxParameters = 1e14;

void check_layer_count(std::int64_t layers, const std::string& source) {
  CLAW_CHECK(layers <= kMaxLayers, source, ": num_hidden_layers ", layers,
             " is implausibly large (over ", kMaxLayers, ")");
}

// Keys interpreted here; all others go to ModelConfig::passthrough.
const std::set<std::string> kInterpretedKeys = {"architectures",
                                                "model_type",
                                                "vocab_size",
                                                "hidden_size",
                                                "num_hidden_layers",
                                                "num_attention_heads",
                                                "num_key_value_heads",
                                                "head_dim",
                                                "intermediate_size",
                                                "rms_norm_eps",
                                                "rope_theta",
                                                "rope_scaling",
                                                "rope_parameters",
                                                "max_position_embeddings",
                                                "tie_word_embeddings",
                                                "attention_bias",
                                                "mlp_bias",
                                                "bos_token_id",
                                                "eos_token_id",
                                                "hidden_act",
                                                "torch_dtype",
                                                "use_sliding_window",
                                                "claw"};

// `it` is transformers 4's rope_scaling or transformers 5's rope_parameters (which also holds
// rope_theta, and names the unscaled case "default").
std::optional<RopeScaling> parse_rope_scaling(const Json::const_iterator& it,
                                              const std::string& where,
                                              const std::string& default_type) {
  CLAW_CHECK(it->is_object(), where, " must be an object or null");
  const std::string type = it->contains("rope_type")
                               ? json_required<std::string>(*it, "rope_type", where)
                               : json_optional<std::string>(*it, "type", default_type, where);
  if (type == "default") return std::nullopt;
  CLAW_CHECK(type == "llama3", where, ": type '", type,
             "' is not supported (only 'llama3' and 'default' are)");
  RopeScaling scaling;
  scaling.factor = json_required<double>(*it, "factor", where);
  scaling.low_freq_factor = json_required<double>(*it, "low_freq_factor", where);
  scaling.high_freq_factor = json_required<double>(*it, "high_freq_factor", where);
  scaling.original_max_position_embeddings =
      json_required<std::int64_t>(*it, "original_max_position_embeddings", where);
  CLAW_CHECK(scaling.factor > 0 && scaling.high_freq_factor > scaling.low_freq_factor &&
                 scaling.original_max_position_embeddings > 0,
             where,
             ": needs factor > 0, high_freq_factor > low_freq_factor and a positive "
             "original_max_position_embeddings");
  return scaling;
}

// claw.KEY, a list of one integer per layer, into `values` (already sized to the layers).
void read_per_layer(const Json& claw, const char* key, std::vector<std::int64_t>& values,
                    const char* what, const std::string& source) {
  const auto list = claw.find(key);
  if (list == claw.end()) return;
  CLAW_CHECK(list->is_array() && list->size() == values.size(), source, ": claw.", key,
             " must list one ", what, " per layer (", values.size(), ")");
  for (std::size_t i = 0; i < list->size(); ++i) {
    CLAW_CHECK((*list)[i].is_number_integer(), source, ": claw.", key, " must hold integers");
    values[i] = (*list)[i].get<std::int64_t>();
  }
}

std::vector<std::int64_t> parse_eos(const Json& json, const std::string& source) {
  const auto it = json.find("eos_token_id");
  if (it == json.end() || it->is_null()) return {};
  if (it->is_array()) {
    std::vector<std::int64_t> ids;
    for (const Json& id : *it) {
      CLAW_CHECK(id.is_number_integer(), source, ": eos_token_id entries must be integers");
      ids.push_back(id.get<std::int64_t>());
    }
    return ids;
  }
  return {json_required<std::int64_t>(json, "eos_token_id", source)};
}

}  // namespace

std::string architecture_name(Architecture arch) {
  return arch == Architecture::kQwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM";
}

bool ModelConfig::uniform_mlp() const {
  return std::all_of(intermediate_sizes.begin(), intermediate_sizes.end(),
                     [&](std::int64_t n) { return n == intermediate_sizes.front(); });
}

bool ModelConfig::has_removed_sublayers() const {
  const auto zero = [](std::int64_t n) { return n == 0; };
  return std::any_of(kv_heads.begin(), kv_heads.end(), zero) ||
         std::any_of(intermediate_sizes.begin(), intermediate_sizes.end(), zero);
}

bool ModelConfig::uniform_attention() const {
  return std::all_of(kv_heads.begin(), kv_heads.end(),
                     [&](std::int64_t n) { return n == kv_heads.front(); });
}

ModelConfig config_from_hf(const Json& json, const std::string& source) {
  CLAW_CHECK(json.is_object(), source, ": must be a JSON object");
  const auto arch_list = json.find("architectures");
  CLAW_CHECK(arch_list != json.end() && arch_list->is_array() && arch_list->size() == 1 &&
                 (*arch_list)[0].is_string(),
             source, ": 'architectures' must list exactly one class name");
  const std::string arch = (*arch_list)[0].get<std::string>();
  ModelConfig c;
  if (arch == "LlamaForCausalLM") {
    c.architecture = Architecture::kLlama;
  } else if (arch == "Qwen2ForCausalLM") {
    c.architecture = Architecture::kQwen2;
  } else {
    CLAW_FAIL(source, ": unsupported architecture '", arch,
              "' (supported: LlamaForCausalLM, Qwen2ForCausalLM)");
  }
  const std::string act = json_optional<std::string>(json, "hidden_act", "silu", source);
  CLAW_CHECK(act == "silu", source, ": hidden_act '", act, "' is not supported (only silu)");

  c.vocab_size = json_required<std::int64_t>(json, "vocab_size", source);
  c.hidden_size = json_required<std::int64_t>(json, "hidden_size", source);
  c.num_layers = json_required<std::int64_t>(json, "num_hidden_layers", source);
  c.num_heads = json_required<std::int64_t>(json, "num_attention_heads", source);
  c.num_kv_heads = json_optional<std::int64_t>(json, "num_key_value_heads", c.num_heads, source);
  CLAW_CHECK(c.num_heads > 0, source, ": num_attention_heads must be positive");
  c.head_dim = json_optional<std::int64_t>(json, "head_dim", c.hidden_size / c.num_heads, source);
  c.rms_norm_eps = json_required<double>(json, "rms_norm_eps", source);
  c.rope_theta = json_optional<double>(json, "rope_theta", 10000.0, source);
  if (const auto rope = json.find("rope_parameters"); rope != json.end() && !rope->is_null()) {
    // transformers 5 writes rope_parameters instead of rope_theta and rope_scaling.
    const std::string where = source + ": rope_parameters";
    c.rope_scaling = parse_rope_scaling(rope, where, "default");
    c.rope_theta = json_optional<double>(*rope, "rope_theta", c.rope_theta, where);
  } else if (const auto scaling = json.find("rope_scaling");
             scaling != json.end() && !scaling->is_null()) {
    c.rope_scaling = parse_rope_scaling(scaling, source + ": rope_scaling", "");
  }
  c.max_position_embeddings = json_required<std::int64_t>(json, "max_position_embeddings", source);
  c.tie_word_embeddings = json_optional<bool>(json, "tie_word_embeddings", false, source);
  if (c.architecture == Architecture::kQwen2) {
    c.qkv_bias = true;
    CLAW_CHECK(!json_optional<bool>(json, "use_sliding_window", false, source), source,
               ": use_sliding_window is set; sliding-window attention is not supported");
  } else {
    c.qkv_bias = c.o_bias = json_optional<bool>(json, "attention_bias", false, source);
    c.mlp_bias = json_optional<bool>(json, "mlp_bias", false, source);
  }
  if (json.contains("bos_token_id") && !json["bos_token_id"].is_null()) {
    c.bos_token_id = json_required<std::int64_t>(json, "bos_token_id", source);
  }
  c.eos_token_ids = parse_eos(json, source);

  const std::int64_t intermediate = json_required<std::int64_t>(json, "intermediate_size", source);
  check_layer_count(c.num_layers, source);  // before the per-layer widths are allocated
  const auto layers = static_cast<std::size_t>(std::max<std::int64_t>(c.num_layers, 0));
  c.intermediate_sizes.assign(layers, intermediate);
  c.kv_heads.assign(layers, c.num_kv_heads);
  if (const auto claw = json.find("claw"); claw != json.end()) {
    CLAW_CHECK(claw->is_object(), source, ": 'claw' must be an object");
    if (const auto widths = claw->find("residual_widths"); widths != claw->end()) {
      CLAW_CHECK(widths->is_array() && widths->size() == 2 * c.intermediate_sizes.size() + 1,
                 source, ": claw.residual_widths must list 2 * num_hidden_layers + 1 widths");
      c.slicing.emplace();
      for (const Json& width : *widths) {
        CLAW_CHECK(width.is_number_integer(), source, ": claw.residual_widths must hold integers");
        c.slicing->widths.push_back(width.get<std::int64_t>());
      }
    }
    read_per_layer(*claw, "intermediate_sizes", c.intermediate_sizes, "width", source);
    read_per_layer(*claw, "kv_heads", c.kv_heads, "KV head count", source);
    // Biases the architecture's own keys cannot state (docs/formats.md).
    c.o_bias = json_optional<bool>(*claw, "o_bias", c.o_bias, source + ": claw");
    c.mlp_bias = json_optional<bool>(*claw, "mlp_bias", c.mlp_bias, source + ": claw");
  }
  for (const auto& [key, value] : json.items()) {
    if (kInterpretedKeys.count(key) == 0) c.passthrough[key] = value;
  }
  validate_config(c, source);
  return c;
}

Json config_to_hf(const ModelConfig& c, const std::string& torch_dtype) {
  Json json = c.passthrough;
  const bool qwen = c.architecture == Architecture::kQwen2;
  // Every Qwen2ForCausalLM has q/k/v biases; a model without them could not be read back.
  CLAW_CHECK(!qwen || c.qkv_bias, "a ", architecture_name(c.architecture),
             " without q/k/v biases cannot be written as one");
  CLAW_CHECK(static_cast<std::int64_t>(c.kv_heads.size()) == c.num_layers &&
                 c.intermediate_sizes.size() == c.kv_heads.size() && !c.kv_heads.empty(),
             "a config needs one MLP width and one KV head count per layer");
  json["architectures"] = {architecture_name(c.architecture)};
  json["model_type"] = qwen ? "qwen2" : "llama";
  json["vocab_size"] = c.vocab_size;
  json["hidden_size"] = c.hidden_size;
  json["num_hidden_layers"] = c.num_layers;
  // The widest layer's heads, as intermediate_size is the widest width: the counts every
  // layer has when they are uniform (so a model pruned alike in every layer is plain HF), and
  // the per-layer counts in the claw section otherwise. The group size stays as it was.
  // At least one, so a model whose attention sublayers are all removed still reads back.
  const std::int64_t kv_heads =
      std::max<std::int64_t>(1, *std::max_element(c.kv_heads.begin(), c.kv_heads.end()));
  const std::int64_t heads = kv_heads * c.group_size();
  json["num_attention_heads"] = heads;
  json["num_key_value_heads"] = kv_heads;
  if (!c.uniform_attention()) json["claw"]["kv_heads"] = c.kv_heads;
  json["hidden_act"] = "silu";
  json["rms_norm_eps"] = c.rms_norm_eps;
  json["rope_theta"] = c.rope_theta;
  json["max_position_embeddings"] = c.max_position_embeddings;
  json["tie_word_embeddings"] = c.tie_word_embeddings;
  json["torch_dtype"] = torch_dtype;
  // A non-uniform model states its widths in the claw section; intermediate_size is their
  // maximum so that tools reading only the plain keys size their buffers safely.
  json["intermediate_size"] =
      *std::max_element(c.intermediate_sizes.begin(), c.intermediate_sizes.end());
  if (!c.uniform_mlp()) json["claw"]["intermediate_sizes"] = c.intermediate_sizes;
  if (c.slicing) json["claw"]["residual_widths"] = c.slicing->widths;
  if (c.rope_scaling) {
    json["rope_scaling"] = {
        {"rope_type", "llama3"},
        {"factor", c.rope_scaling->factor},
        {"low_freq_factor", c.rope_scaling->low_freq_factor},
        {"high_freq_factor", c.rope_scaling->high_freq_factor},
        {"original_max_position_embeddings", c.rope_scaling->original_max_position_embeddings}};
  } else {
    json["rope_scaling"] = nullptr;
  }
  if (qwen) {
    json["use_sliding_window"] = false;
    // Qwen2's config has no key for these biases.
    if (c.o_bias) json["claw"]["o_bias"] = true;
    if (c.mlp_bias) json["claw"]["mlp_bias"] = true;
  } else {
    // attention_bias covers q, k, v and o alike; an o_proj bias apart from them needs the claw
    // section.
    json["attention_bias"] = c.qkv_bias;
    if (c.o_bias != c.qkv_bias) json["claw"]["o_bias"] = c.o_bias;
    json["mlp_bias"] = c.mlp_bias;
  }
  // transformers checks that a per-layer list of the source config has one entry per layer;
  // after layers are removed, every layer claw runs attends in full.
  if (const auto types = json.find("layer_types");
      types != json.end() && types->is_array() &&
      static_cast<std::int64_t>(types->size()) != c.num_layers) {
    *types = std::vector<std::string>(static_cast<std::size_t>(c.num_layers), "full_attention");
  }
  if (c.head_dim * heads != c.hidden_size) json["head_dim"] = c.head_dim;
  if (c.bos_token_id) json["bos_token_id"] = *c.bos_token_id;
  if (c.eos_token_ids.size() == 1) json["eos_token_id"] = c.eos_token_ids.front();
  if (c.eos_token_ids.size() > 1) json["eos_token_id"] = c.eos_token_ids;
  return json;
}

ModelConfig config_from_llama2c(const io::Llama2cHeader& h) {
  ModelConfig c;
  c.architecture = Architecture::kLlama;
  c.vocab_size = h.vocab_size;
  c.hidden_size = h.dim;
  c.num_layers = h.n_layers;
  c.num_heads = h.n_heads;
  c.num_kv_heads = h.n_kv_heads;
  c.head_dim = h.dim / h.n_heads;
  c.intermediate_sizes.assign(static_cast<std::size_t>(h.n_layers), h.hidden_dim);
  c.kv_heads.assign(static_cast<std::size_t>(h.n_layers), h.n_kv_heads);
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 10000;
  c.max_position_embeddings = h.seq_len;
  c.tie_word_embeddings = h.shared_classifier;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  return c;
}

void validate_config(const ModelConfig& c, const std::string& source) {
  check_layer_count(c.num_layers, source);
  for (const auto& [name, size] : {std::pair<const char*, std::int64_t>{"vocab_size", c.vocab_size},
                                   {"hidden_size", c.hidden_size},
                                   {"num_attention_heads", c.num_heads},
                                   {"num_key_value_heads", c.num_kv_heads},
                                   {"head_dim", c.head_dim},
                                   {"max_position_embeddings", c.max_position_embeddings}}) {
    CLAW_CHECK(size <= kMaxSize, source, ": ", name, " ", size, " is implausibly large (over ",
               kMaxSize, ")");
  }
  // In double: the bounds above keep each factor exact, and the sum cannot overflow.
  const double hidden = static_cast<double>(c.hidden_size);
  const double attention_per_layer = hidden * static_cast<double>(c.num_heads + c.num_kv_heads) *
                                     static_cast<double>(c.head_dim) * 2;
  double parameters = static_cast<double>(c.vocab_size) * hidden * 2;
  for (std::int64_t width : c.intermediate_sizes) {
    CLAW_CHECK(width <= kMaxSize, source, ": intermediate size ", width,
               " is implausibly large (over ", kMaxSize, ")");
    parameters += attention_per_layer + 3.0 * hidden * static_cast<double>(width);
  }
  CLAW_CHECK(parameters <= kMaxParameters, source, ": declares about ", parameters,
             " parameters, more than any model claw can hold");
  CLAW_CHECK(c.vocab_size > 0 && c.hidden_size > 0 && c.num_layers > 0 && c.num_heads > 0 &&
                 c.num_kv_heads > 0 && c.head_dim > 0 && c.max_position_embeddings > 0,
             source,
             ": sizes must be positive (vocab_size, hidden_size, num_hidden_layers, "
             "attention heads, head_dim, max_position_embeddings)");
  CLAW_CHECK(c.head_dim % 2 == 0, source, ": head_dim ", c.head_dim, " must be even for RoPE");
  CLAW_CHECK(c.num_heads % c.num_kv_heads == 0, source, ": num_attention_heads ", c.num_heads,
             " is not a multiple of num_key_value_heads ", c.num_kv_heads);
  CLAW_CHECK(static_cast<std::int64_t>(c.intermediate_sizes.size()) == c.num_layers, source,
             ": expected one MLP width per layer");
  CLAW_CHECK(static_cast<std::int64_t>(c.kv_heads.size()) == c.num_layers, source,
             ": expected one KV head count per layer");
  for (std::int64_t kv : c.kv_heads) {
    CLAW_CHECK(kv >= 0 && kv <= c.num_kv_heads, source,
               ": each layer's KV heads (claw.kv_heads) must be within 0..", c.num_kv_heads,
               " (num_key_value_heads; 0 for a layer without attention), got ", kv);
  }
  for (std::int64_t width : c.intermediate_sizes) {
    CLAW_CHECK(width >= 0, source,
               ": intermediate sizes must be positive (0 for a layer without an MLP), got ", width);
  }
  CLAW_CHECK(!c.slicing || !c.has_removed_sublayers(), source,
             ": a sliced model cannot have layers without attention or MLP");
  CLAW_CHECK(c.rms_norm_eps > 0 && c.rope_theta > 0, source,
             ": rms_norm_eps and rope_theta must be positive");
  if (c.slicing) {
    CLAW_CHECK(static_cast<std::int64_t>(c.slicing->widths.size()) == 2 * c.num_layers + 1, source,
               ": a sliced model needs 2 * layers + 1 residual widths");
    for (std::int64_t width : c.slicing->widths) {
      CLAW_CHECK(width > 0 && width <= c.hidden_size, source, ": residual width ", width,
                 " is outside 1..hidden_size (", c.hidden_size, ")");
    }
    CLAW_CHECK(!c.tie_word_embeddings, source,
               ": a sliced model has its own head (tie_word_embeddings must be false)");
  }
}

}  // namespace claw::model

// claw info MODEL: architecture, shapes, dtype, content hash and parameter counts.
#include <cstdio>

#include "cli/command.h"
#include "core/format.h"
#include "core/json.h"
#include "core/system_memory.h"
#include "model/content_hash.h"
#include "model/layout.h"
#include "model/memory_needs.h"
#include "model/runtime.h"
#include "model/stored_model.h"

namespace claw::cli {
namespace {

struct InfoArgs {
  std::string model;
  bool json = false;
};

// The weights each kind of command holds, in the stored dtype, beside the memory free now.
Json memory(const model::ModelConfig& config, torch::ScalarType dtype) {
  const model::MemoryNeeds needs = model::memory_needs(config, dtype);
  const std::optional<std::int64_t> available = available_memory_bytes();
  return {{"dtype", model::dtype_flag_name(dtype)},
          {"whole_bytes", needs.whole},
          {"layer_by_layer_bytes", needs.layer_by_layer},
          {"available_bytes", available ? Json(*available) : Json(nullptr)}};
}

// Read from the files' headers and their mapped tensors: describing a 14B model takes little
// memory.
Json describe(const std::filesystem::path& path) {
  const model::StoredModel stored(path);
  const model::ModelConfig& c = stored.config();
  const model::ParameterCounts n = model::count_parameters(c);
  Json rope = {{"theta", c.rope_theta}};
  if (c.rope_scaling) rope["scaling"] = model::config_to_hf(c, "")["rope_scaling"];
  return {{"path", path.string()},
          {"architecture", model::architecture_name(c.architecture)},
          {"layers", c.num_layers},
          {"hidden_size", c.hidden_size},
          {"intermediate_sizes", c.intermediate_sizes},
          {"residual_widths", c.slicing ? Json(c.slicing->widths) : Json(nullptr)},
          {"heads", c.num_heads},
          {"kv_heads", c.num_kv_heads},
          {"layer_kv_heads", c.kv_heads},
          {"head_dim", c.head_dim},
          {"vocab_size", c.vocab_size},
          {"context", c.max_position_embeddings},
          {"rms_norm_eps", c.rms_norm_eps},
          {"rope", rope},
          {"tied_embeddings", c.tie_word_embeddings},
          {"qkv_bias", c.qkv_bias},
          {"o_bias", c.o_bias},
          {"mlp_bias", c.mlp_bias},
          {"dtype", model::dtype_flag_name(stored.dtype())},
          {"content_hash", model::cached_content_hash(path)},
          {"memory", memory(c, stored.dtype())},
          {"parameters",
           {{"embedding", n.embedding},
            {"attention", n.attention},
            {"mlp", n.mlp},
            {"norms", n.norm},
            {"head", n.head},
            {"shortcuts", n.shortcut},
            {"total", n.total()},
            {"without_embeddings", n.without_embeddings()}}}};
}

bool all_equal(const std::vector<std::int64_t>& values) {
  return std::equal(values.begin() + 1, values.end(), values.begin());
}

void print_human(const Json& d) {
  const std::vector<std::int64_t> widths = d["intermediate_sizes"];
  const bool uniform = all_equal(widths);
  std::printf("model          %s\n", d["path"].get<std::string>().c_str());
  std::printf("architecture   %s\n", d["architecture"].get<std::string>().c_str());
  std::printf("layers         %lld\n", d["layers"].get<long long>());
  std::printf("hidden         %lld\n", d["hidden_size"].get<long long>());
  std::printf("mlp width      %s\n", uniform ? std::to_string(widths.front()).c_str()
                                             : d["intermediate_sizes"].dump().c_str());
  if (!d["residual_widths"].is_null()) {
    std::printf("sliced widths  %s\n", d["residual_widths"].dump().c_str());
  }
  const std::vector<std::int64_t> kv_heads = d["layer_kv_heads"];
  if (all_equal(kv_heads)) {
    std::printf("heads          %lld (kv %lld, head_dim %lld)\n", d["heads"].get<long long>(),
                d["kv_heads"].get<long long>(), d["head_dim"].get<long long>());
  } else {
    // Per layer, after pruning removed KV groups; the group size is that of the widest layer.
    const std::int64_t group = d["heads"].get<std::int64_t>() / d["kv_heads"].get<std::int64_t>();
    std::vector<std::int64_t> heads;
    for (std::int64_t kv : kv_heads) heads.push_back(kv * group);
    std::printf("heads          %s (kv %s, head_dim %lld)\n", Json(heads).dump().c_str(),
                d["layer_kv_heads"].dump().c_str(), d["head_dim"].get<long long>());
  }
  std::printf("vocab          %lld\n", d["vocab_size"].get<long long>());
  std::printf("context        %lld\n", d["context"].get<long long>());
  std::printf("rope           %s\n", d["rope"].dump().c_str());
  std::printf("embeddings     %s\n", d["tied_embeddings"].get<bool>() ? "tied" : "untied");
  std::printf("qkv bias       %s\n", d["qkv_bias"].get<bool>() ? "yes" : "no");
  std::printf("o bias         %s\n", d["o_bias"].get<bool>() ? "yes" : "no");
  std::printf("mlp bias       %s\n", d["mlp_bias"].get<bool>() ? "yes" : "no");
  std::printf("dtype          %s\n", d["dtype"].get<std::string>().c_str());
  std::printf("content hash   %s\n", d["content_hash"].get<std::string>().c_str());
  const Json& p = d["parameters"];
  const double total = p["total"].get<double>();
  std::printf("parameters\n");
  for (const char* group : {"embedding", "attention", "mlp", "norms", "head", "shortcuts"}) {
    const auto count = p[group].get<std::int64_t>();
    std::printf("  %-12s %15s  %5.1f%%\n", group, with_commas(count).c_str(),
                100.0 * count / total);
  }
  std::printf("  %-12s %15s\n", "total", with_commas(p["total"].get<std::int64_t>()).c_str());
  std::printf("  %-12s %15s\n", "w/o embed.",
              with_commas(p["without_embeddings"].get<std::int64_t>()).c_str());
  const Json& m = d["memory"];
  std::printf("memory, weights held in %s (each command's working set comes on top)\n",
              m["dtype"].get<std::string>().c_str());
  std::printf("  %-14s %9s  eval, export, convert, recover, bench (per model)\n", "whole model",
              byte_size(m["whole_bytes"].get<std::int64_t>()).c_str());
  std::printf("  %-14s %9s  compress; eval of a model that does not fit\n", "layer by layer",
              byte_size(m["layer_by_layer_bytes"].get<std::int64_t>()).c_str());
  if (!m["available_bytes"].is_null()) {
    std::printf("  %-14s %9s\n", "available now",
                byte_size(m["available_bytes"].get<std::int64_t>()).c_str());
  }
}

}  // namespace

void register_info(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info", "Describe a model: shapes, dtype, hash, parameters");
  cmd->add_option("model", args->model,
                  "HF directory, llama2.c .bin, GGUF file, or bundled model name")
      ->required();
  cmd->add_flag("--json", args->json, "print JSON on stdout");
  cmd->callback([args] {
    const std::filesystem::path path = resolve_model_argument(args->model);
    const Json description = describe(path);
    if (args->json) {
      std::printf("%s\n", description.dump(2).c_str());
    } else {
      print_human(description);
    }
  });
}

}  // namespace claw::cli

#include "model/layout.h"

#include "io/tensor_view.h"

namespace claw::model {

const char* param_group_name(ParamGroup group) {
  switch (group) {
    case ParamGroup::kEmbedding:
      return "embedding";
    case ParamGroup::kAttention:
      return "attention";
    case ParamGroup::kMlp:
      return "mlp";
    case ParamGroup::kNorm:
      return "norms";
    case ParamGroup::kHead:
      return "head";
  }
  return "?";
}

std::int64_t TensorSpec::numel() const {
  return io::shape_numel(shape);
}

std::vector<TensorSpec> tensor_layout(const ModelConfig& c) {
  using G = ParamGroup;
  using R = TensorRole;
  const std::int64_t d = c.hidden_size;
  std::vector<TensorSpec> specs;
  specs.push_back({"model.embed_tokens.weight", {c.vocab_size, d}, G::kEmbedding, R::kEmbed, -1});
  for (std::int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const std::int64_t ff = c.intermediate_sizes[static_cast<std::size_t>(i)];
    auto linear = [&](const std::string& name, R weight_role, R bias_role, std::int64_t out,
                      std::int64_t in, bool bias, G group) {
      specs.push_back({p + name + ".weight", {out, in}, group, weight_role, i});
      if (bias) specs.push_back({p + name + ".bias", {out}, group, bias_role, i});
    };
    specs.push_back({p + "input_layernorm.weight", {d}, G::kNorm, R::kAttnNorm, i});
    linear("self_attn.q_proj", R::kQWeight, R::kQBias, c.q_dim(), d, c.qkv_bias, G::kAttention);
    linear("self_attn.k_proj", R::kKWeight, R::kKBias, c.kv_dim(), d, c.qkv_bias, G::kAttention);
    linear("self_attn.v_proj", R::kVWeight, R::kVBias, c.kv_dim(), d, c.qkv_bias, G::kAttention);
    linear("self_attn.o_proj", R::kOWeight, R::kOBias, d, c.q_dim(), c.o_bias, G::kAttention);
    specs.push_back({p + "post_attention_layernorm.weight", {d}, G::kNorm, R::kMlpNorm, i});
    linear("mlp.gate_proj", R::kGateWeight, R::kGateBias, ff, d, c.mlp_bias, G::kMlp);
    linear("mlp.up_proj", R::kUpWeight, R::kUpBias, ff, d, c.mlp_bias, G::kMlp);
    linear("mlp.down_proj", R::kDownWeight, R::kDownBias, d, ff, c.mlp_bias, G::kMlp);
  }
  specs.push_back({"model.norm.weight", {d}, G::kNorm, R::kFinalNorm, -1});
  if (!c.tie_word_embeddings) {
    specs.push_back({"lm_head.weight", {c.vocab_size, d}, G::kHead, R::kLmHead, -1});
  }
  return specs;
}

ParameterCounts count_parameters(const ModelConfig& config) {
  ParameterCounts counts;
  for (const TensorSpec& spec : tensor_layout(config)) {
    switch (spec.group) {
      case ParamGroup::kEmbedding:
        counts.embedding += spec.numel();
        break;
      case ParamGroup::kAttention:
        counts.attention += spec.numel();
        break;
      case ParamGroup::kMlp:
        counts.mlp += spec.numel();
        break;
      case ParamGroup::kNorm:
        counts.norm += spec.numel();
        break;
      case ParamGroup::kHead:
        counts.head += spec.numel();
        break;
    }
  }
  return counts;
}

}  // namespace claw::model

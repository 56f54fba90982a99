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
    case ParamGroup::kShortcut:
      return "shortcuts";
  }
  return "?";
}

std::int64_t TensorSpec::numel() const {
  return io::shape_numel(shape);
}

std::vector<TensorSpec> tensor_layout(const ModelConfig& c) {
  using G = ParamGroup;
  using R = TensorRole;
  std::vector<TensorSpec> specs;
  specs.push_back({"model.embed_tokens.weight",
                   {c.vocab_size, c.residual_width(0)},
                   G::kEmbedding,
                   R::kEmbed,
                   -1});
  for (std::int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const std::int64_t ff = c.intermediate_sizes[static_cast<std::size_t>(i)];
    // The stream's width entering the layer, after its attention block, and after its MLP.
    const std::int64_t in = c.residual_width(2 * i), mid = c.residual_width(2 * i + 1),
                       out = c.residual_width(2 * i + 2);
    auto linear = [&](const std::string& name, R weight_role, R bias_role, std::int64_t out,
                      std::int64_t in, bool bias, G group) {
      specs.push_back({p + name + ".weight", {out, in}, group, weight_role, i});
      if (bias) specs.push_back({p + name + ".bias", {out}, group, bias_role, i});
    };
    // A sublayer that pruning removed has no tensors at all, its norm included.
    if (c.has_attention(i)) {
      const std::int64_t q_dim = c.layer_q_dim(i), kv_dim = c.layer_kv_dim(i);
      specs.push_back({p + "input_layernorm.weight", {in}, G::kNorm, R::kAttnNorm, i});
      linear("self_attn.q_proj", R::kQWeight, R::kQBias, q_dim, in, c.qkv_bias, G::kAttention);
      linear("self_attn.k_proj", R::kKWeight, R::kKBias, kv_dim, in, c.qkv_bias, G::kAttention);
      linear("self_attn.v_proj", R::kVWeight, R::kVBias, kv_dim, in, c.qkv_bias, G::kAttention);
      linear("self_attn.o_proj", R::kOWeight, R::kOBias, mid, q_dim, c.o_bias, G::kAttention);
    }
    if (c.slicing) {
      specs.push_back({p + "attn_shortcut.weight", {mid, in}, G::kShortcut, R::kAttnShortcut, i});
    }
    if (c.has_mlp(i)) {
      specs.push_back({p + "post_attention_layernorm.weight", {mid}, G::kNorm, R::kMlpNorm, i});
      linear("mlp.gate_proj", R::kGateWeight, R::kGateBias, ff, mid, c.mlp_bias, G::kMlp);
      linear("mlp.up_proj", R::kUpWeight, R::kUpBias, ff, mid, c.mlp_bias, G::kMlp);
      linear("mlp.down_proj", R::kDownWeight, R::kDownBias, out, ff, c.mlp_bias, G::kMlp);
    }
    if (c.slicing) {
      specs.push_back({p + "mlp_shortcut.weight", {out, mid}, G::kShortcut, R::kMlpShortcut, i});
    }
  }
  const std::int64_t last = c.residual_width(2 * c.num_layers);
  specs.push_back({"model.norm.weight", {last}, G::kNorm, R::kFinalNorm, -1});
  if (!c.tie_word_embeddings) {
    specs.push_back({"lm_head.weight", {c.vocab_size, last}, G::kHead, R::kLmHead, -1});
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
      case ParamGroup::kShortcut:
        counts.shortcut += spec.numel();
        break;
    }
  }
  return counts;
}

}  // namespace claw::model

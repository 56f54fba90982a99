#include "model/decoder.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <mutex>

#include "core/error.h"
#include "model/attention.h"
#include "model/cpu_decode.h"
#include "model/rope.h"

namespace claw::model {

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps,
                       std::int64_t width) {
  // float32 at least (HF's RMSNorm), float64 for float64 inputs (the gradient tests).
  const torch::Tensor x32 = x.to(at::promote_types(x.scalar_type(), torch::kFloat32));
  const torch::Tensor squares = x32.pow(2);
  const torch::Tensor mean_square = width == 0 || width == x.size(-1)
                                        ? squares.mean(-1, /*keepdim=*/true)
                                        : squares.sum(-1, /*keepdim=*/true) / double(width);
  const torch::Tensor normed = x32 * at::rsqrt(mean_square + eps);
  return weight * normed.to(x.scalar_type());
}

namespace {

// RMSNorm with the model's epsilon over its hidden width (every model claw runs uses RMSNorm).
torch::Tensor model_rms_norm(const Model& model, const torch::Tensor& h,
                             const torch::Tensor& weight) {
  return rms_norm(h, weight, model.config.rms_norm_eps, model.config.hidden_size);
}

void check_in_context(const ModelConfig& c, std::int64_t max_position) {
  CLAW_CHECK(max_position < c.max_position_embeddings, "position ", max_position,
             " is past the model's context of ", c.max_position_embeddings, " tokens");
}

// New tokens that are all real, after a cache: each sequence's positions go on from its own, and
// their largest is known on the host. While the cache holds no padding, every sequence is at the
// same position and one query needs no mask at all, so a decode step reads slices of the cache's
// RoPE table and mask: no synchronisation, nothing built.
SequenceContext continue_cache(const ModelConfig& c, const KvCache& cache, std::int64_t steps,
                               const torch::TensorOptions& token_options) {
  SequenceContext context;
  context.max_position = cache.max_next_position() + steps - 1;
  check_in_context(c, context.max_position);
  const std::int64_t past = cache.length();
  if (cache.all_real()) {
    context.angles = cache.rope_angles(past, steps);
  } else {
    torch::Tensor positions = cache.next_position().unsqueeze(1);
    if (steps > 1) positions = positions + torch::arange(steps, token_options);
    context.angles = cache.rope_angles(positions);
  }
  if (steps == 1) {
    if (!cache.all_real()) context.bias = cache.next_query_bias();
  } else {
    const torch::Tensor keys_valid = torch::cat(
        {cache.valid(), torch::ones({cache.batch(), steps}, token_options.dtype(torch::kBool))}, 1);
    context.bias = attention_bias(keys_valid, past, steps);
  }
  return context;
}

}  // namespace

SequenceContext sequence_context(const Model& model, const torch::Tensor& tokens,
                                 const torch::Tensor& valid, KvCache* cache,
                                 const ForwardOptions& options) {
  const ModelConfig& c = model.config;
  CLAW_CHECK(tokens.dim() == 2, "forward expects tokens of shape [batch, steps]");
  const std::int64_t batch = tokens.size(0), steps = tokens.size(1);
  CLAW_CHECK(!cache || cache->batch() == batch, "the KV cache was made for batch ", cache->batch(),
             ", got ", batch);
  CLAW_CHECK(!cache || !options.segments.defined(), "packed segments cannot extend a KV cache");
  if (cache && !valid.defined()) return continue_cache(c, *cache, steps, tokens.options());

  const std::int64_t past = cache ? cache->length() : 0;
  const torch::Tensor real =
      valid.defined() ? valid.to(torch::kBool)
                      : torch::ones({batch, steps}, tokens.options().dtype(torch::kBool));
  // RoPE positions count the real tokens a token sees, so padding anywhere leaves each
  // sequence the positions it would have alone; padding gets position 0 (its output is unused).
  torch::Tensor positions, bias;
  if (options.segments.defined()) {
    PackedAttention packed = packed_attention(real, options.segments);
    positions = std::move(packed.positions);
    bias = std::move(packed.bias);
  } else {
    positions = real.to(torch::kInt64).cumsum(1) - 1;
    if (cache) positions = positions + cache->next_position().unsqueeze(1);
    positions = positions.masked_fill(real.logical_not(), 0);
    bias = attention_bias(cache ? torch::cat({cache->valid(), real}, 1) : real, past, steps);
  }
  // One synchronisation per forward pass over given tokens (a prompt, a scored batch); decode
  // steps take continue_cache() instead.
  const std::int64_t max_position = positions.max().item<std::int64_t>();
  check_in_context(c, max_position);
  RopeAngles angles = cache ? cache->rope_angles(positions)
                            : rope_angles(rope_inverse_frequencies(c), positions, model.dtype());
  return {std::move(angles), std::move(bias), real, max_position};
}

torch::Tensor attention_block(const Model& model, std::size_t layer_index, const torch::Tensor& h,
                              const SequenceContext& context, KvCache* cache) {
  return model.layers[layer_index].o(attention_heads(model, layer_index, h, context, cache));
}

torch::Tensor attention_heads(const Model& model, std::size_t layer_index, const torch::Tensor& h,
                              const SequenceContext& context, KvCache* cache) {
  const ModelConfig& c = model.config;
  const DecoderLayer& layer = model.layers[layer_index];
  const std::int64_t batch = h.size(0), steps = h.size(1);
  const torch::Tensor x = model_rms_norm(model, h, layer.attn_norm);
  auto split_heads = [&](const torch::Tensor& t, std::int64_t heads) {
    return t.view({batch, steps, heads, c.head_dim}).transpose(1, 2);
  };
  // Pruning may leave each layer its own number of KV groups.
  const auto l = static_cast<std::int64_t>(layer_index);
  const torch::Tensor q = apply_rope(split_heads(layer.q(x), c.layer_heads(l)), context.angles);
  torch::Tensor k = apply_rope(split_heads(layer.k(x), c.layer_kv_heads(l)), context.angles);
  torch::Tensor v = split_heads(layer.v(x), c.layer_kv_heads(l));
  if (cache) std::tie(k, v) = cache->append(l, k, v);
  return attention(q, k, v, context.bias).reshape({batch, steps, c.layer_q_dim(l)});
}

torch::Tensor mlp_block(const Model& model, std::size_t layer_index, const torch::Tensor& h) {
  return model.layers[layer_index].down(mlp_hidden(model, layer_index, h));
}

torch::Tensor mlp_hidden(const Model& model, std::size_t layer_index, const torch::Tensor& h) {
  const DecoderLayer& layer = model.layers[layer_index];
  const torch::Tensor y = model_rms_norm(model, h, layer.mlp_norm);
  return at::silu(layer.gate(y)) * layer.up(y);
}

torch::Tensor shortcut(const torch::Tensor& h, const torch::Tensor& map) {
  return map.defined() ? project(h, map) : h;
}

namespace {

// Layer `i` of `model` on the residual stream `h`: attention, then MLP, each with its residual.
torch::Tensor run_layer(const Model& model, std::size_t i, const torch::Tensor& h,
                        const SequenceContext& context, KvCache* cache) {
  const DecoderLayer& layer = model.layers[i];
  const auto l = static_cast<std::int64_t>(i);
  torch::Tensor out = h;
  if (model.config.has_attention(l)) {
    out = shortcut(out, layer.attn_shortcut) + attention_block(model, i, out, context, cache);
  }
  if (model.config.has_mlp(l)) out = shortcut(out, layer.mlp_shortcut) + mlp_block(model, i, out);
  return out;
}

// The tensors of a layer that are being trained: its weights (full fine-tuning) or its LoRA
// adapters.
torch::autograd::variable_list trained_tensors(const DecoderLayer& layer) {
  torch::autograd::variable_list trained;
  const auto add = [&](const torch::Tensor& t) {
    if (t.defined() && t.requires_grad()) trained.push_back(t);
  };
  add(layer.attn_norm);
  add(layer.mlp_norm);
  add(layer.attn_shortcut);
  add(layer.mlp_shortcut);
  for (const Linear* linear :
       {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down}) {
    add(linear->weight);
    add(linear->bias);
    if (linear->lora) {
      add(linear->lora->a);
      add(linear->lora->b);
    }
  }
  return trained;
}

// A layer whose activations are not kept for the backward pass but made again there from its
// input, under the random state its forward pass started from (LoRA's dropout draws the same).
// The layer's trained tensors are inputs, so that the output depends on them in the graph; the
// recomputation's own backward pass accumulates their gradients. What it needs rides in the
// context: the model's address, the layer, and the sequence context's tensors.
struct RecomputedLayer : torch::autograd::Function<RecomputedLayer> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& h,
                               at::TensorList trained, const Model* model, std::int64_t layer,
                               const SequenceContext* context) {
    ctx->saved_data["trained"] = static_cast<std::int64_t>(trained.size());
    ctx->save_for_backward({h});
    ctx->saved_data["model"] = reinterpret_cast<std::int64_t>(model);
    ctx->saved_data["layer"] = layer;
    ctx->saved_data["cos"] = context->angles.cos;
    ctx->saved_data["signed_sin"] = context->angles.signed_sin;
    ctx->saved_data["bias"] = context->bias;
    ctx->saved_data["real"] = context->real;
    ctx->saved_data["max_position"] = context->max_position;
    ctx->saved_data["random_state"] = random_state(h.device());
    // Run as the recomputation will be (the kernels chosen may depend on whether a gradient is
    // wanted), then cut loose from the graph, which frees the activations at once.
    const torch::AutoGradMode enable(true);
    return run_layer(*model, static_cast<std::size_t>(layer), h.detach().requires_grad_(true),
                     *context, nullptr)
        .detach();
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const torch::Tensor saved = ctx->get_saved_variables().front();
    const auto* model = reinterpret_cast<const Model*>(ctx->saved_data["model"].toInt());
    const SequenceContext context{
        {ctx->saved_data["cos"].toTensor(), ctx->saved_data["signed_sin"].toTensor()},
        ctx->saved_data["bias"].toTensor(),
        ctx->saved_data["real"].toTensor(),
        ctx->saved_data["max_position"].toInt()};
    const torch::Tensor h = saved.detach().requires_grad_(true);
    // The random state after the forward pass is put back afterwards, so that what follows
    // draws as it would have without recomputation.
    const torch::Tensor after = random_state(h.device());
    set_random_state(h.device(), ctx->saved_data["random_state"].toTensor());
    torch::Tensor out;
    {
      const torch::AutoGradMode enable(true);
      out = run_layer(*model, static_cast<std::size_t>(ctx->saved_data["layer"].toInt()), h,
                      context, nullptr);
    }
    set_random_state(h.device(), after);
    torch::autograd::backward({out}, {grad.front()});
    // The trained tensors' gradients are in their .grad already.
    torch::autograd::variable_list grads = {h.grad()};
    grads.resize(1 + static_cast<std::size_t>(ctx->saved_data["trained"].toInt()) + 3);
    return grads;
  }

  static torch::Tensor random_state(torch::Device device) {
    at::Generator generator = at::globalContext().defaultGenerator(device);
    const std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
  }
  static void set_random_state(torch::Device device, const torch::Tensor& state) {
    at::Generator generator = at::globalContext().defaultGenerator(device);
    const std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
  }
};

}  // namespace

torch::Tensor final_hidden_states(const Model& model, const torch::Tensor& tokens,
                                  const torch::Tensor& valid, KvCache* cache,
                                  const ForwardOptions& options) {
  const SequenceContext context = sequence_context(model, tokens, valid, cache, options);
  torch::Tensor h = at::embedding(model.embed, tokens);
  const bool recompute = options.recompute_layers && torch::GradMode::is_enabled();
  CLAW_CHECK(!recompute || cache == nullptr, "recomputed layers cannot fill a KV cache");
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    if (recompute) {
      const torch::autograd::variable_list trained = trained_tensors(model.layers[i]);
      h = RecomputedLayer::apply(h, at::TensorList(trained), &model, static_cast<std::int64_t>(i),
                                 &context);
    } else {
      h = run_layer(model, i, h, context, cache);
    }
  }
  if (cache) cache->commit(tokens.size(1), context.real, context.max_position);
  if (options.last_position_only) h = h.narrow(1, h.size(1) - 1, 1);
  return model_rms_norm(model, h, model.final_norm);
}

std::vector<std::size_t> plan_passes(const Model& model, const std::vector<TokenBatch>& batches,
                                     std::int64_t state_bytes) {
  const std::int64_t per_token = model.embed.size(1) * model.embed.element_size();
  std::vector<std::size_t> starts;
  std::int64_t held = 0;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    const TokenBatch& batch = batches[b];
    // A masked batch carries its float32 attention bias [B, T, T] through the pass too.
    const bool masked = batch.valid.defined() || batch.segments.defined();
    const std::int64_t bytes = batch.tokens.numel() * per_token +
                               (masked ? batch.tokens.numel() * batch.tokens.size(1) * 4 : 0);
    if (starts.empty() || held + bytes > state_bytes) {
      starts.push_back(b);
      held = 0;
    }
    held += bytes;
  }
  return starts;
}

void final_hidden_states(LayeredModel& layered, const std::vector<TokenBatch>& batches,
                         std::int64_t state_bytes,
                         const std::function<void(std::size_t, const torch::Tensor&)>& consume,
                         const std::function<void(std::int64_t)>& on_layer) {
  const Model& model = layered.frame();
  std::vector<std::size_t> starts = plan_passes(model, batches, state_bytes);
  starts.push_back(batches.size());
  std::int64_t layers_done = 0;
  for (std::size_t pass = 0; pass + 1 < starts.size(); ++pass) {
    std::vector<SequenceContext> contexts;
    std::vector<torch::Tensor> h;
    for (std::size_t b = starts[pass]; b < starts[pass + 1]; ++b) {
      const TokenBatch& batch = batches[b];
      contexts.push_back(sequence_context(model, batch.tokens, batch.valid, nullptr,
                                          {.segments = batch.segments}));
      h.push_back(at::embedding(model.embed, batch.tokens));
    }
    for (std::size_t i = 0; i < model.layers.size(); ++i) {
      const LayerHold held(layered, i);
      for (std::size_t b = 0; b < h.size(); ++b)
        h[b] = run_layer(model, i, h[b], contexts[b], nullptr);
      if (on_layer) on_layer(++layers_done);
    }
    for (std::size_t b = 0; b < h.size(); ++b) {
      consume(starts[pass] + b, model_rms_norm(model, h[b], model.final_norm));
      h[b] = torch::Tensor();  // the pass's states go as they are consumed
    }
  }
}

torch::Tensor forward(const Model& model, const torch::Tensor& tokens, const torch::Tensor& valid,
                      KvCache* cache, const ForwardOptions& options) {
  if (!options.operators_only && cpu_decode_applies(model, tokens, valid, cache)) {
    check_in_context(model.config, cache->max_next_position());
    return cpu_decode_step(model, tokens, *cache);
  }
  return project(final_hidden_states(model, tokens, valid, cache, options), model.head());
}

}  // namespace claw::model

#include "compress/kv_groups.h"

#include "compress/method.h"
#include "core/error.h"

namespace claw::compress {
namespace {

// The rows of a [heads·head_dim, ...] projection that heads `heads` own.
torch::Tensor head_rows(const torch::Tensor& heads, std::int64_t head_dim) {
  const torch::Tensor offsets = torch::arange(head_dim, heads.options());
  return (heads.unsqueeze(1) * head_dim + offsets.unsqueeze(0)).reshape({-1});
}

void keep_rows(model::Linear& linear, const torch::Tensor& rows) {
  linear.weight = linear.weight.index_select(0, rows).contiguous();
  if (linear.bias.defined()) linear.bias = linear.bias.index_select(0, rows).contiguous();
}

}  // namespace

std::int64_t kept_group_count(std::int64_t groups, double ratio, std::int64_t layer) {
  return kept_unit_count(groups, ratio, "KV group", layer);
}

void keep_kv_groups(model::Model& model, std::int64_t layer, const torch::Tensor& kept) {
  model::DecoderLayer& l = model.layers.at(static_cast<std::size_t>(layer));
  const std::int64_t head_dim = model.config.head_dim, group = model.config.group_size();
  const std::int64_t groups = model.config.layer_kv_heads(layer);
  const torch::Tensor index = kept.to(model.device(), torch::kLong);
  CLAW_CHECK(index.dim() == 1 && index.numel() >= 1 && index.min().item<std::int64_t>() >= 0 &&
                 index.max().item<std::int64_t>() < groups &&
                 (index.numel() == 1 || (index.diff() > 0).all().item<bool>()),
             "layer ", layer, ": a KV group selection must be increasing indices below ", groups);
  const torch::Tensor query_heads = head_rows(index, group);  // group g owns heads g·G .. g·G+G-1
  const torch::Tensor q_rows = head_rows(query_heads, head_dim);
  const torch::Tensor kv_rows = head_rows(index, head_dim);
  keep_rows(l.q, q_rows);
  keep_rows(l.k, kv_rows);
  keep_rows(l.v, kv_rows);
  l.o.weight = l.o.weight.index_select(1, q_rows).contiguous();
  model.config.kv_heads.at(static_cast<std::size_t>(layer)) = index.numel();
}

}  // namespace claw::compress

#include "compress/slicegpt.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/linalg_qr.h>

#include <cmath>

#include "compress/pca.h"
#include "compress/rotation.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/stopwatch.h"
#include "model/decoder.h"

namespace claw::compress {
namespace {

// The calibration activations at one point of the residual stream, batch by batch, in the
// model's dtype on its device.
using Activations = std::vector<torch::Tensor>;

struct Timings {
  double forward = 0, pca = 0;
};

// Batches of calibration tokens [B, L] on the model's device.
std::vector<torch::Tensor> token_batches(const SliceGptOptions& options, torch::Device device) {
  std::vector<torch::Tensor> batches;
  const auto n = static_cast<std::int64_t>(options.calibration.size());
  for (std::int64_t start = 0; start < n; start += options.batch) {
    const std::int64_t size = std::min(options.batch, n - start);
    const auto length = static_cast<std::int64_t>(options.calibration.front().size());
    torch::Tensor batch = torch::empty({size, length}, torch::kLong);
    for (std::int64_t i = 0; i < size; ++i) {
      const std::vector<std::int32_t>& sequence =
          options.calibration[static_cast<std::size_t>(start + i)];
      CLAW_CHECK(static_cast<std::int64_t>(sequence.size()) == length,
                 "calibration sequences must all have the same length");
      batch[i].copy_(torch::tensor(sequence, torch::kInt).to(torch::kLong));
    }
    batches.push_back(batch.to(device));
  }
  return batches;
}

// The first `width` principal directions, optionally turned by a random rotation within them
// (the reference's --final-orientation random: the QR factor of a uniform matrix).
torch::Tensor kept_basis(const torch::Tensor& directions, std::int64_t width,
                         FinalOrientation orientation, at::Generator& generator) {
  torch::Tensor basis = directions.narrow(1, 0, width);
  if (orientation == FinalOrientation::kRandom) {
    const torch::Tensor uniform =
        at::empty({width, width}, torch::TensorOptions().dtype(torch::kDouble))
            .uniform_(0, 1, generator);
    basis = basis.mm(std::get<0>(at::linalg_qr(uniform)).to(basis.device()));
  }
  return basis.contiguous();
}

}  // namespace

std::int64_t sliced_width(std::int64_t hidden, double ratio, std::int64_t round) {
  CLAW_CHECK(round >= 1, "--round must be at least 1");
  std::int64_t width =
      static_cast<std::int64_t>(std::floor((1.0 - ratio) * static_cast<double>(hidden) + 1e-9));
  width -= width % round;
  CLAW_CHECK(width >= 1, "ratio ", ratio, " keeps no dimension of ", hidden,
             " after rounding down to a multiple of ", round, "; lower the ratio or --round");
  return width;
}

SliceGpt::SliceGpt(SliceGptOptions options) : options_(std::move(options)) {
  CLAW_CHECK(!options_.calibration.empty(), "SliceGPT needs calibration sequences");
  CLAW_CHECK(options_.batch >= 1, "--calib-batch must be at least 1");
}

Json SliceGpt::settings() const {
  return {{"calibration", options_.calibration_source},
          {"calibration_samples", options_.calibration.size()},
          {"calibration_length", options_.calibration.front().size()},
          {"calibration_batch", options_.batch},
          {"round", options_.round},
          {"final_orientation", options_.orientation == FinalOrientation::kPca ? "pca" : "random"},
          {"pca", "float64 uncentred covariance, dampening 0.01 * mean(diag), eigh"},
          {"seed", options_.seed}};
}

Json SliceGpt::compress(model::Model& model, double ratio) {
  model::ModelConfig& c = model.config;
  CLAW_CHECK(!c.slicing, "the model is already sliced; SliceGPT starts from an unsliced model");
  const auto length = static_cast<std::int64_t>(options_.calibration.front().size());
  CLAW_CHECK(length <= c.max_position_embeddings, "calibration sequences of ", length,
             " tokens are longer than the model's context of ", c.max_position_embeddings);
  const std::int64_t hidden = c.hidden_size;
  const std::int64_t width = sliced_width(hidden, ratio, options_.round);
  torch::NoGradGuard no_grad;
  at::Generator generator = at::detail::createCPUGenerator(options_.seed);
  Timings timings;

  fold_norms(model);
  // Every point of the stream keeps `width` dimensions except the last: the head is rotated,
  // not sliced (the reference's default).
  std::vector<std::int64_t> widths(static_cast<std::size_t>(2 * c.num_layers + 1), width);
  widths.back() = hidden;

  const std::vector<torch::Tensor> batches = token_batches(options_, model.device());
  const auto context = [&](const torch::Tensor& tokens) {
    return model::sequence_context(model, tokens);
  };
  const auto principal = [&](const Activations& signal, const std::string& where) {
    const Stopwatch time;
    CovarianceAccumulator covariance(hidden, model.device());
    for (const torch::Tensor& x : signal) covariance.add(x);
    torch::Tensor directions = covariance.principal_directions(where);
    timings.pca += time.seconds();
    return directions;
  };

  Stopwatch time;
  Activations stream;  // the residual stream entering the current layer, in its sliced basis
  for (const torch::Tensor& tokens : batches) stream.push_back(at::embedding(model.embed, tokens));
  timings.forward += time.seconds();
  torch::Tensor basis =
      kept_basis(principal(stream, "the embeddings"), widths[0], options_.orientation, generator);
  model::Linear embedding{model.embed, {}};  // its rows are vectors of the stream
  rotate_inputs(embedding, basis);
  model.embed = embedding.weight;
  for (torch::Tensor& x : stream) x = to_basis(x, basis);

  Progress progress("slicegpt", c.num_layers, "layers");
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    model::DecoderLayer& layer = model.layers[i];
    const std::int64_t in = widths[2 * i], mid = widths[2 * i + 1], out = widths[2 * i + 2];
    const std::string where = concat("layer ", i);
    // Attention: reads the stream in `basis`, writes the original basis until its own
    // principal directions are known; the shortcut carries the input back to that basis.
    layer.attn_norm = layer.attn_norm.narrow(0, 0, in).contiguous();
    for (model::Linear* reader : {&layer.q, &layer.k, &layer.v}) rotate_inputs(*reader, basis);
    layer.attn_shortcut = basis.to(model.dtype());
    time = Stopwatch();
    Activations after_attention;
    for (std::size_t b = 0; b < batches.size(); ++b) {
      after_attention.push_back(model::shortcut(stream[b], layer.attn_shortcut) +
                                model::attention_block(model, i, stream[b], context(batches[b])));
    }
    timings.forward += time.seconds();
    const torch::Tensor mid_basis =
        kept_basis(principal(after_attention, where), mid, options_.orientation, generator);
    rotate_outputs(layer.o, mid_basis);
    layer.attn_shortcut = mid_basis.t().mm(basis).to(model.dtype());
    for (torch::Tensor& x : after_attention) x = to_basis(x, mid_basis);

    // The MLP, likewise.
    layer.mlp_norm = layer.mlp_norm.narrow(0, 0, mid).contiguous();
    for (model::Linear* reader : {&layer.gate, &layer.up}) rotate_inputs(*reader, mid_basis);
    layer.mlp_shortcut = mid_basis.to(model.dtype());
    time = Stopwatch();
    Activations after_mlp;
    for (std::size_t b = 0; b < batches.size(); ++b) {
      after_mlp.push_back(model::shortcut(after_attention[b], layer.mlp_shortcut) +
                          model::mlp_block(model, i, after_attention[b]));
    }
    timings.forward += time.seconds();
    after_attention.clear();
    const torch::Tensor out_basis =
        kept_basis(principal(after_mlp, where), out, options_.orientation, generator);
    rotate_outputs(layer.down, out_basis);
    layer.mlp_shortcut = out_basis.t().mm(mid_basis).to(model.dtype());
    for (torch::Tensor& x : after_mlp) x = to_basis(x, out_basis);
    stream = std::move(after_mlp);
    basis = out_basis;
    progress.advance(1);
  }
  progress.finish();
  model::Linear head{model.lm_head, {}};
  rotate_inputs(head, basis);
  model.lm_head = head.weight;
  model.final_norm = model.final_norm.narrow(0, 0, widths.back()).contiguous();
  c.slicing = model::ResidualSlicing{widths};
  return {{"hidden_size", {{"before", hidden}, {"after", width}}},
          {"timings", {{"calibration_forward_s", timings.forward}, {"pca_s", timings.pca}}}};
}

}  // namespace claw::compress

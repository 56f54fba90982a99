#include "compress/slicegpt.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/linalg_qr.h>

#include <cmath>
#include <functional>

#include "compress/method_registry.h"
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
  if (round < 1) throw OptionError("round", "must be at least 1");
  std::int64_t width =
      static_cast<std::int64_t>(std::floor((1.0 - ratio) * static_cast<double>(hidden) + 1e-9));
  width -= width % round;
  CLAW_CHECK(width >= 1, "ratio ", ratio, " keeps no dimension of ", hidden,
             " after rounding down to a multiple of ", round, "; lower the ratio or round");
  return width;
}

SliceGpt::SliceGpt(SliceGptOptions options) : options_(std::move(options)) {
  CLAW_CHECK(!options_.calibration.sequences.empty(), "SliceGPT needs calibration sequences");
  if (options_.calibration.batch < 1) throw OptionError("calib_batch", "must be at least 1");
}

Json SliceGpt::settings() const {
  Json settings = calibration_settings(options_.calibration);
  settings.update(bound_recorded_values(options_));
  settings.update({{"pca", "float64 uncentred covariance, dampening 0.01 * mean(diag), eigh"},
                   {"seed", options_.seed}});
  return settings;
}

// The state of one slicing pass: the model being rewritten, the calibration batches and the
// stream's activations at the current point, in its current basis.
class Slicer {
 public:
  Slicer(model::Model& model, const SliceGptOptions& options)
      : model_(model),
        options_(options),
        batches_(calibration_batches(options.calibration, model.device())),
        generator_(at::detail::createCPUGenerator(options.seed)) {}

  // Rotates the embedding into the first `width` principal directions of its output.
  void embedding(std::int64_t width) {
    const Stopwatch time;
    for (const torch::Tensor& tokens : batches_) {
      stream_.push_back(at::embedding(model_.embed, tokens));
    }
    timings_.forward += time.seconds();
    basis_ = principal(width, "the embeddings");
    model::Linear rows{model_.embed, {}};  // the embedding's rows are vectors of the stream
    rotate_inputs(rows, basis_);
    model_.embed = rows.weight;
  }

  // One block of a layer (attention or MLP) whose input is the stream in the current basis:
  // its readers move into that basis; its output, computed first in the original basis with
  // the shortcut carrying the input back there, gives the next basis, into which its writer
  // turns and the shortcut then maps.
  void block(torch::Tensor& norm, std::initializer_list<model::Linear*> readers,
             model::Linear& writer, torch::Tensor& shortcut, std::int64_t out_width,
             const std::string& where,
             const std::function<torch::Tensor(const torch::Tensor&, std::size_t)>& run) {
    norm = norm.narrow(0, 0, basis_.size(1)).contiguous();
    for (model::Linear* reader : readers) rotate_inputs(*reader, basis_);
    shortcut = basis_.to(model_.dtype());
    const Stopwatch time;
    for (std::size_t b = 0; b < stream_.size(); ++b) {
      stream_[b] = model::shortcut(stream_[b], shortcut) + run(stream_[b], b);
    }
    timings_.forward += time.seconds();
    const torch::Tensor input_basis = basis_;
    basis_ = principal(out_width, where);
    rotate_outputs(writer, basis_);
    shortcut = basis_.t().mm(input_basis).to(model_.dtype());
  }

  void layer(std::size_t i, std::int64_t mid, std::int64_t out) {
    model::DecoderLayer& l = model_.layers[i];
    const std::string where = concat("layer ", i);
    block(l.attn_norm, {&l.q, &l.k, &l.v}, l.o, l.attn_shortcut, mid, where,
          [&](const torch::Tensor& h, std::size_t b) {
            return model::attention_block(model_, i, h,
                                          model::sequence_context(model_, batches_[b]));
          });
    block(l.mlp_norm, {&l.gate, &l.up}, l.down, l.mlp_shortcut, out, where,
          [&](const torch::Tensor& h, std::size_t) { return model::mlp_block(model_, i, h); });
  }

  // The head reads the last basis; the final norm keeps its width.
  void head() {
    model::Linear head{model_.lm_head, {}};
    rotate_inputs(head, basis_);
    model_.lm_head = head.weight;
    model_.final_norm = model_.final_norm.narrow(0, 0, basis_.size(1)).contiguous();
  }

  Json timings() const {
    return {{"calibration_forward_s", timings_.forward}, {"pca_s", timings_.pca}};
  }

 private:
  // The first `width` principal directions of the stream, which then moves into them.
  torch::Tensor principal(std::int64_t width, const std::string& where) {
    const Stopwatch time;
    CovarianceAccumulator covariance(model_.config.hidden_size, model_.device());
    for (const torch::Tensor& x : stream_) covariance.add(x);
    const torch::Tensor basis =
        kept_basis(covariance.principal_directions(where), width, options_.orientation, generator_);
    timings_.pca += time.seconds();
    for (torch::Tensor& x : stream_) x = to_basis(x, basis);
    return basis;
  }

  model::Model& model_;
  const SliceGptOptions& options_;
  std::vector<torch::Tensor> batches_;  // calibration tokens [B, L]
  at::Generator generator_;
  Activations stream_;   // per batch, [B, L, width of the current basis]
  torch::Tensor basis_;  // [hidden, width]: the stream's current basis in the original one
  struct Timings {
    double forward = 0, pca = 0;
  } timings_;
};

model::ResidualSlicing sliced_shape(const model::ModelConfig& config, double ratio,
                                    std::int64_t round) {
  // The head is rotated, not sliced: the reference's default.
  std::vector<std::int64_t> widths(static_cast<std::size_t>(2 * config.num_layers + 1),
                                   sliced_width(config.hidden_size, ratio, round));
  widths.back() = config.hidden_size;
  return {widths};
}

model::ModelConfig SliceGpt::plan(model::LayeredModel& model, double ratio) {
  const model::ModelConfig& c = model.config();
  CLAW_CHECK(!c.slicing, "the model is already sliced; SliceGPT starts from an unsliced model");
  const auto length = static_cast<std::int64_t>(options_.calibration.sequences.front().size());
  CLAW_CHECK(length <= c.max_position_embeddings, "calibration sequences of ", length,
             " tokens are longer than the model's context of ", c.max_position_embeddings);
  model::ModelConfig after = c;
  after.slicing = sliced_shape(c, ratio, options_.round);
  after.tie_word_embeddings = false;
  widths_ = after.slicing->widths;
  return after;
}

void SliceGpt::rewrite_embeddings(model::Model& model) {
  torch::NoGradGuard no_grad;
  untie_head(model);
  slicer_ = std::make_unique<Slicer>(model, options_);
  slicer_->embedding(widths_.front());
  progress_.emplace("slicegpt", model.config.num_layers, "layers");
}

bool SliceGpt::rewrite_layer(model::Model& model, std::size_t i) {
  torch::NoGradGuard no_grad;
  fold_layer_norms(model.layers[i]);
  slicer_->layer(i, widths_[2 * i + 1], widths_[2 * i + 2]);
  progress_->advance(1);
  return true;
}

void SliceGpt::rewrite_head(model::Model& model) {
  torch::NoGradGuard no_grad;
  progress_->finish();
  fold_final_norm(model);
  slicer_->head();
  model.config.slicing = model::ResidualSlicing{widths_};
  details_ = {{"hidden_size", {{"before", model.config.hidden_size}, {"after", widths_.front()}}},
              {"timings", slicer_->timings()}};
}

SliceGpt::~SliceGpt() = default;

MethodInfo slicegpt_method() {
  return {.name = "slicegpt",
          .family = MethodFamily::kCalibrationBased,
          .summary =
              "rotates the residual stream into its principal directions on calibration text "
              "and deletes the least important ones (SliceGPT)",
          .ratio_meaning = "the fraction of the hidden dimension removed",
          .options = calibration_options().with(bound_option_table<SliceGptOptions>()),
          .make = [](const Json& options, const CompressionContext& context,
                     const model::ModelConfig& config) -> std::unique_ptr<CompressionMethod> {
            SliceGptOptions o = bound_options_from<SliceGptOptions>(options);
            o.calibration = draw_calibration("slicegpt", options, context, config);
            o.seed = context.seed;
            return std::make_unique<SliceGpt>(std::move(o));
          },
          .removed_fraction =
              [](const model::ModelConfig& config, double ratio, const Json& options) {
                model::ModelConfig after = config;
                after.slicing =
                    sliced_shape(config, ratio, bound_options_from<SliceGptOptions>(options).round);
                after.tie_word_embeddings = false;
                return removed_parameter_fraction(config, after);
              },
          .runs_in_llama_cpp = false};
}

}  // namespace claw::compress

#include "compress/prunenet_policy.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "core/error.h"
#include "io/safetensors.h"
#include "model/torch_tensors.h"

namespace claw::compress {
namespace {

constexpr const char* kFormat = "claw-prunenet-policy";
constexpr const char* kWeightName = "projection.weight";
constexpr const char* kBiasName = "projection.bias";
constexpr const char* kScoresName = "scores";

torch::Tensor trainable(torch::Tensor t) {
  return t.to(torch::kFloat).contiguous().requires_grad_();
}

}  // namespace

PruneNetPolicy::PruneNetPolicy(torch::Tensor projection_weight, torch::Tensor projection_bias,
                               torch::Tensor scores)
    : projection_weight_(trainable(std::move(projection_weight))),
      projection_bias_(trainable(std::move(projection_bias))),
      scores_(trainable(std::move(scores))) {}

PruneNetPolicy::PruneNetPolicy(std::int64_t hidden, std::int64_t width, std::uint64_t seed) {
  CLAW_CHECK(hidden > 0 && width > 0, "a PruneNet policy needs positive sizes");
  at::Generator generator = at::detail::createCPUGenerator(seed);
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  const auto options = torch::TensorOptions().dtype(torch::kFloat);
  *this = PruneNetPolicy(at::empty({width, hidden}, options).uniform_(-bound, bound, generator),
                         at::empty({width}, options).uniform_(-bound, bound, generator),
                         at::empty({width}, options).uniform_(0, 1, generator));
}

PruneNetPolicy PruneNetPolicy::load(const std::filesystem::path& path) {
  const io::SafetensorsFile file(path);
  const auto format = file.metadata().find("format");
  CLAW_CHECK(format != file.metadata().end() && format->second == kFormat, path.string(),
             ": not a PruneNet policy (claw compress --policy-out writes one)");
  const auto tensor = [&](const char* name, std::size_t rank) {
    const auto found = file.tensors().find(name);
    CLAW_CHECK(found != file.tensors().end() && found->second.shape.size() == rank, path.string(),
               ": a PruneNet policy needs a rank-", rank, " tensor '", name, "'");
    return model::tensor_from_view(found->second, torch::kFloat, torch::kCPU);
  };
  PruneNetPolicy policy(tensor(kWeightName, 2), tensor(kBiasName, 1), tensor(kScoresName, 1));
  CLAW_CHECK(
      policy.projection_bias_.size(0) == policy.width() && policy.scores_.size(0) == policy.width(),
      path.string(), ": the policy's tensors disagree on the FFN width");
  return policy;
}

void PruneNetPolicy::save(const std::filesystem::path& path,
                          const std::map<std::string, std::string>& metadata) const {
  std::vector<io::TensorEntry> entries;
  for (const auto& [name, t] :
       {std::pair{kWeightName, projection_weight_}, std::pair{kBiasName, projection_bias_},
        std::pair{kScoresName, scores_}}) {
    const torch::Tensor value = t.detach();
    entries.push_back({name, io::DType::kF32, value.sizes().vec(),
                       [value] { return model::tensor_bytes(value, torch::kFloat); }});
  }
  std::map<std::string, std::string> header = metadata;
  header["format"] = kFormat;
  header["hidden_size"] = std::to_string(hidden());
  header["intermediate_size"] = std::to_string(width());
  io::write_safetensors(path, entries, header);
}

void PruneNetPolicy::check_shape(std::int64_t hidden, std::int64_t width,
                                 const std::string& source) const {
  CLAW_CHECK(hidden == this->hidden() && width == this->width(), source,
             ": the policy scores FFN matrices of ", this->width(), " channels × hidden ",
             this->hidden(), ", but this model's are ", width, " × ", hidden,
             "; train a policy for these shapes (omit --policy-in)");
}

torch::Tensor PruneNetPolicy::importance_logits(const torch::Tensor& ffn1) const {
  const torch::Tensor direction = projection_weight_.t().mv(scores_);  // W_pᵀ·s [hidden]
  return ffn1.mv(direction) + projection_bias_.dot(scores_);
}

std::vector<torch::Tensor> PruneNetPolicy::parameters() const {
  return {projection_weight_, projection_bias_, scores_};
}

std::vector<torch::Tensor> PruneNetPolicy::snapshot() const {
  std::vector<torch::Tensor> values;
  for (const torch::Tensor& p : parameters()) values.push_back(p.detach().clone());
  return values;
}

void PruneNetPolicy::restore(const std::vector<torch::Tensor>& values) {
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> params = parameters();
  CLAW_CHECK(values.size() == params.size(), "a policy snapshot of the wrong size");
  for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(values[i]);
}

}  // namespace claw::compress

// The distillation loss against a plain double-precision loop over positions and vocabulary (its
// value and its gradient, T · (q − p)), and its gradient against central finite differences, for
// T = 1 and T = 2, over the whole vocabulary and the teacher's top K.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "recover/distillation.h"

namespace claw::recover {
namespace {

constexpr std::int64_t kRows = 5, kVocab = 13;

struct Reference {
  double value = 0;
  std::vector<double> gradient;  // [rows × vocab], with respect to the student's logits
};

// softmax(z / T) over the tokens in `keep`, in double.
std::vector<double> softmax_over(const double* z, const std::vector<std::int64_t>& keep, double t) {
  double top = -INFINITY;
  for (const std::int64_t i : keep) top = std::max(top, z[i] / t);
  std::vector<double> p(static_cast<std::size_t>(kVocab), 0.0);
  double sum = 0;
  for (const std::int64_t i : keep) sum += std::exp(z[i] / t - top);
  for (const std::int64_t i : keep) p[static_cast<std::size_t>(i)] = std::exp(z[i] / t - top) / sum;
  return p;
}

Reference reference_loop(const torch::Tensor& student, const torch::Tensor& teacher,
                         const DistillationSettings& s) {
  Reference r;
  r.gradient.assign(static_cast<std::size_t>(kRows * kVocab), 0.0);
  const double t = s.temperature;
  std::vector<std::int64_t> all(static_cast<std::size_t>(kVocab));
  std::iota(all.begin(), all.end(), 0);
  for (std::int64_t n = 0; n < kRows; ++n) {
    const double* zs = student.data_ptr<double>() + n * kVocab;
    const double* zt = teacher.data_ptr<double>() + n * kVocab;
    std::vector<std::int64_t> kept = all;
    if (s.top_k) {
      std::sort(kept.begin(), kept.end(),
                [&](std::int64_t a, std::int64_t b) { return zt[a] > zt[b]; });
      kept.resize(static_cast<std::size_t>(*s.top_k));
    }
    const std::vector<double> p = softmax_over(zt, kept, t), q = softmax_over(zs, all, t);
    for (std::int64_t v = 0; v < kVocab; ++v) {
      const auto i = static_cast<std::size_t>(v);
      if (p[i] > 0) r.value += t * t * p[i] * (std::log(p[i]) - std::log(q[i]));
      r.gradient[static_cast<std::size_t>(n * kVocab + v)] = t * (q[i] - p[i]);
    }
  }
  return r;
}

torch::Tensor logits(std::uint64_t seed) {
  torch::manual_seed(seed);
  return 3 * torch::randn({kRows, kVocab}, torch::kFloat64);
}

class DistillationLoss : public ::testing::TestWithParam<DistillationSettings> {};

TEST_P(DistillationLoss, EqualsAPlainDoubleLoopAndItsGradient) {
  const DistillationSettings settings = GetParam();
  const torch::Tensor student = logits(1).requires_grad_(true), teacher = logits(2);
  const torch::Tensor value = distillation_kl(student, teacher, settings);
  value.backward();
  const Reference want = reference_loop(student.detach(), teacher, settings);
  EXPECT_NEAR(value.item<double>(), want.value, 1e-9 * want.value);
  const torch::Tensor gradient = student.grad().contiguous();
  for (std::int64_t i = 0; i < kRows * kVocab; ++i) {
    const double expected = want.gradient[static_cast<std::size_t>(i)];
    EXPECT_NEAR(gradient.data_ptr<double>()[i], expected, 1e-9 * std::max(1.0, std::abs(expected)))
        << "element " << i;
  }
}

TEST_P(DistillationLoss, GradientMatchesFiniteDifferences) {
  const DistillationSettings settings = GetParam();
  const torch::Tensor student = logits(3).requires_grad_(true), teacher = logits(4);
  distillation_kl(student, teacher, settings).backward();
  const torch::Tensor gradient = student.grad().contiguous();
  const double h = 1e-5;
  for (std::int64_t i = 0; i < kRows * kVocab; ++i) {
    const torch::Tensor up = student.detach().clone(), down = student.detach().clone();
    up.view(-1)[i] += h;
    down.view(-1)[i] -= h;
    const double numeric = (distillation_kl(up, teacher, settings).item<double>() -
                            distillation_kl(down, teacher, settings).item<double>()) /
                           (2 * h);
    const double analytic = gradient.data_ptr<double>()[i];
    EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << "element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(TemperatureAndTopK, DistillationLoss,
                         ::testing::Values(DistillationSettings{1, std::nullopt},
                                           DistillationSettings{2, std::nullopt},
                                           DistillationSettings{1, 4}, DistillationSettings{2, 4}));

TEST(DistillationLoss, IsZeroForTheTeacherItselfAndFloat32AgreesWithFloat64) {
  const torch::Tensor teacher = logits(5);
  EXPECT_NEAR(distillation_kl(teacher, teacher, {2, std::nullopt}).item<double>(), 0, 1e-12);
  const torch::Tensor student = logits(6);
  const double wide = distillation_kl(student, teacher, {2, std::nullopt}).item<double>();
  const torch::Tensor narrow =
      distillation_kl(student.to(torch::kFloat32), teacher.to(torch::kBFloat16), {2, std::nullopt});
  EXPECT_EQ(narrow.scalar_type(), torch::kFloat32);
  EXPECT_NEAR(narrow.item<double>(), wide, 2e-2 * wide);  // the teacher rounded to bfloat16
}

TEST(DistillationLoss, BadSettingsAreOneClearError) {
  const torch::Tensor z = logits(7);
  EXPECT_THROW(distillation_kl(z, z, {0, std::nullopt}), Error);
  EXPECT_THROW(distillation_kl(z, z, {1, 0}), Error);
}

}  // namespace
}  // namespace claw::recover

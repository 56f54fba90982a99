#include "model/bf16_matvec.h"

#include <ATen/Parallel.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace claw::model {
namespace detail {
namespace {

// bf16 is the top half of a float32: widening is a 16-bit shift.
float widen(std::uint16_t bits) {
  const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof value);
  return value;
}

void rows_scalar(const std::uint16_t* w, const float* x, std::int64_t in, std::int64_t rows,
                 float* y) {
  for (std::int64_t r = 0; r < rows; ++r) {
    float sum = 0;
    for (std::int64_t i = 0; i < in; ++i) sum += widen(w[r * in + i]) * x[i];
    y[r] = sum;
  }
}

#if defined(__x86_64__)
// Widened bf16 loads: 16 values (AVX-512) or 8 (AVX2) as float32. The AVX-512 intrinsics are
// the zero-masked forms: GCC 12's unmasked ones start from _mm512_undefined_*, which
// -Wmaybe-uninitialized reports wherever they are inlined.
constexpr __mmask16 kAllLanes = 0xFFFF;

__attribute__((target("avx512f"))) inline __m512 load16_avx512(const std::uint16_t* p) {
  const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(
      _mm512_maskz_slli_epi32(kAllLanes, _mm512_maskz_cvtepu16_epi32(kAllLanes, bits), 16));
}

// The sum of the 16 lanes (what _mm512_reduce_add_ps gives, without its undefined start).
__attribute__((target("avx512f"))) inline float sum_lanes(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  float sum = 0;
  for (const float lane : lanes) sum += lane;
  return sum;
}

__attribute__((target("avx2,fma"))) inline __m256 load8_avx2(const std::uint16_t* p) {
  const __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
}

// Software prefetch this far ahead in each row (4 KiB) adds a sixth to the streaming rate.
constexpr std::int64_t kPrefetchAhead = 2048;

template <int kRows>
inline void prefetch_rows(const std::uint16_t* w, std::int64_t in, std::int64_t i) {
  // Prefetches never fault, so running past the matrix's end is harmless.
  for (int k = 0; k < kRows; ++k) {
    _mm_prefetch(reinterpret_cast<const char*>(w + k * in + i + kPrefetchAhead), _MM_HINT_T0);
  }
}

// Four rows per pass: four independent weight streams keep enough loads in flight to saturate
// memory, and each x vector loaded serves all four.
__attribute__((target("avx512f"))) void rows_avx512(const std::uint16_t* w, const float* x,
                                                    std::int64_t in, std::int64_t rows, float* y) {
  const auto load = load16_avx512;
  const std::int64_t vector_end = in - in % 16;
  std::int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const std::uint16_t* w0 = w + r * in;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (std::int64_t i = 0; i < vector_end; i += 16) {
      prefetch_rows<4>(w0, in, i);
      const __m512 xv = _mm512_loadu_ps(x + i);
      a0 = _mm512_fmadd_ps(load(w0 + i), xv, a0);
      a1 = _mm512_fmadd_ps(load(w0 + in + i), xv, a1);
      a2 = _mm512_fmadd_ps(load(w0 + 2 * in + i), xv, a2);
      a3 = _mm512_fmadd_ps(load(w0 + 3 * in + i), xv, a3);
    }
    const __m512 sums[4] = {a0, a1, a2, a3};
    for (int k = 0; k < 4; ++k) {
      float sum = sum_lanes(sums[k]);
      for (std::int64_t i = vector_end; i < in; ++i) sum += widen(w0[k * in + i]) * x[i];
      y[r + k] = sum;
    }
  }
  rows_scalar(w + r * in, x, in, rows - r, y + r);
}

__attribute__((target("avx2,fma"))) float horizontal_sum(__m256 v) {
  const __m128 pair = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 quad = _mm_add_ps(pair, _mm_movehl_ps(pair, pair));
  return _mm_cvtss_f32(_mm_add_ss(quad, _mm_movehdup_ps(quad)));
}

__attribute__((target("avx2,fma"))) void rows_avx2(const std::uint16_t* w, const float* x,
                                                   std::int64_t in, std::int64_t rows, float* y) {
  const auto load = load8_avx2;
  const std::int64_t vector_end = in - in % 8;
  std::int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const std::uint16_t* w0 = w + r * in;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (std::int64_t i = 0; i < vector_end; i += 8) {
      if (i % 16 == 0) prefetch_rows<4>(w0, in, i);
      const __m256 xv = _mm256_loadu_ps(x + i);
      a0 = _mm256_fmadd_ps(load(w0 + i), xv, a0);
      a1 = _mm256_fmadd_ps(load(w0 + in + i), xv, a1);
      a2 = _mm256_fmadd_ps(load(w0 + 2 * in + i), xv, a2);
      a3 = _mm256_fmadd_ps(load(w0 + 3 * in + i), xv, a3);
    }
    const __m256 sums[4] = {a0, a1, a2, a3};
    for (int k = 0; k < 4; ++k) {
      float sum = horizontal_sum(sums[k]);
      for (std::int64_t i = vector_end; i < in; ++i) sum += widen(w0[k * in + i]) * x[i];
      y[r + k] = sum;
    }
  }
  rows_scalar(w + r * in, x, in, rows - r, y + r);
}

#endif  // __x86_64__

}  // namespace

std::vector<Bf16Kernel> bf16_kernels() {
  std::vector<Bf16Kernel> kernels;
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) kernels.push_back({"avx512", rows_avx512});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    kernels.push_back({"avx2", rows_avx2});
  }
#endif
  kernels.push_back({"scalar", rows_scalar});
  return kernels;
}

}  // namespace detail

torch::Tensor bf16_matvec(const torch::Tensor& weight, const torch::Tensor& x,
                          const torch::Tensor& bias) {
  static const detail::Bf16RowsKernel kernel = detail::bf16_kernels().front().run;
  CLAW_CHECK(weight.scalar_type() == torch::kBFloat16 && x.scalar_type() == torch::kBFloat16 &&
                 weight.dim() == 2 && x.dim() == 1 && x.size(0) == weight.size(1) &&
                 weight.device().is_cpu() &&
                 (!bias.defined() ||
                  (bias.scalar_type() == torch::kBFloat16 && bias.numel() == weight.size(0))),
             "bf16_matvec needs a bf16 [out, in] CPU matrix, an [in] vector and an [out] bias");
  // Decoding calls this hundreds of times per token on small vectors, so conversions are plain
  // loops here rather than tensor ops, each of which costs a dispatch.
  const torch::Tensor w = weight.contiguous(), xc = x.contiguous();
  const torch::Tensor b = bias.defined() ? bias.contiguous() : bias;
  const std::int64_t out = w.size(0), in = w.size(1);
  std::vector<float> x32(xc.data_ptr<at::BFloat16>(), xc.data_ptr<at::BFloat16>() + in);
  torch::Tensor y = torch::empty({out}, w.options());
  const auto* w_bits = reinterpret_cast<const std::uint16_t*>(w.data_ptr<at::BFloat16>());
  const at::BFloat16* b_data = b.defined() ? b.data_ptr<at::BFloat16>() : nullptr;
  at::BFloat16* y_data = y.data_ptr<at::BFloat16>();
  constexpr std::int64_t kBlock = 64;  // rows per kernel call; also the smallest thread share
  at::parallel_for(0, out, kBlock, [&](std::int64_t begin, std::int64_t end) {
    float sums[kBlock];
    for (std::int64_t start = begin; start < end; start += kBlock) {
      const std::int64_t rows = std::min(kBlock, end - start);
      kernel(w_bits + start * in, x32.data(), in, rows, sums);
      for (std::int64_t r = 0; r < rows; ++r) {
        // Bias added in float32, then one round-to-nearest-even, as a bf16 matmul does.
        const float sum = b_data ? sums[r] + static_cast<float>(b_data[start + r]) : sums[r];
        y_data[start + r] = at::BFloat16(sum);
      }
    }
  });
  return y;
}

}  // namespace claw::model

#include "model/matvec.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace claw::model {
namespace detail {
namespace {

// The kernel is written once, on GCC's generic vectors of 16 floats, and compiled once per
// instruction set by inlining it into a function built for that set: one 512-bit register per
// vector with AVX-512, two with AVX2, four with SSE2. This file is built with -ffp-contract=fast,
// so `acc += w * x` is one fused multiply-add wherever the set has one.
constexpr int kLanes = 16;
using Floats = float __attribute__((vector_size(kLanes * 4)));
using Words = std::uint32_t __attribute__((vector_size(kLanes * 4)));

// Vectors travel by reference: passing them by value would change the calling convention with
// the instruction set (-Wpsabi).
[[gnu::always_inline]] inline void load(Floats& out, const float* p) {
  std::memcpy(&out, p, sizeof out);
}
// 2·kLanes bf16 weights, read as kLanes pairs in one load: a bf16 is the top half of a
// float32, so the pairs' low halves shifted up are the even weights and their high halves,
// masked, the odd ones. Widening each weight in place would take twice the instructions (no
// instruction set before AVX-512 BW zero-extends 16-bit lanes across a whole register).
[[gnu::always_inline]] inline void load_pairs(Floats& even, Floats& odd, const std::uint16_t* p) {
  Words pairs;
  std::memcpy(&pairs, p, sizeof pairs);
  const Words low = pairs << 16, high = pairs & 0xFFFF0000u;
  std::memcpy(&even, &low, sizeof even);
  std::memcpy(&odd, &high, sizeof odd);
}

[[gnu::always_inline]] inline float widen(float value) {
  return value;
}
[[gnu::always_inline]] inline float widen(std::uint16_t bits) {
  const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof value);
  return value;
}

// A tree of sums: four dependent additions instead of fifteen, which on a small model's short
// rows took as long as the products.
[[gnu::always_inline]] inline float sum_lanes(const Floats& v) {
  float lanes[kLanes];
  std::memcpy(lanes, &v, sizeof lanes);
  for (int width = kLanes / 2; width >= 1; width /= 2) {
    for (int i = 0; i < width; ++i) lanes[i] += lanes[i + width];
  }
  return lanes[0];
}

// Software prefetch this far ahead in each row (4 KiB of bf16) adds a sixth to the streaming
// rate; prefetches never fault, so running past the matrix's end is harmless.
constexpr std::int64_t kPrefetchAheadBytes = 4096;

// kRows rows against kBatch vectors: each weight vector loaded serves every input vector, and
// each input vector every row. kRows·kBatch accumulators fit the registers of every set. A step
// covers kLanes float32 weights, or 2·kLanes bf16 ones against x split as prepare_input() lays
// it out.
template <typename W, int kRows, int kBatch>
[[gnu::always_inline]] inline void row_block(const W* w, std::int64_t cols, const float* x,
                                             float* y, std::int64_t y_stride) {
  constexpr bool kBf16 = sizeof(W) == 2;
  constexpr std::int64_t kStep = kBf16 ? 2 * kLanes : kLanes;
  constexpr std::int64_t kAhead = kPrefetchAheadBytes / static_cast<std::int64_t>(sizeof(W));
  Floats acc[kRows][kBatch] = {};
  const std::int64_t vector_end = cols - cols % kStep;
  for (std::int64_t i = 0; i < vector_end; i += kStep) {
    // One step reads one 64-byte line of each row.
    for (int r = 0; r < kRows; ++r) __builtin_prefetch(w + r * cols + i + kAhead);
    Floats xs[kBatch][kBf16 ? 2 : 1];
    for (int b = 0; b < kBatch; ++b) {
      load(xs[b][0], x + b * cols + i);
      if constexpr (kBf16) load(xs[b][1], x + b * cols + i + kLanes);
    }
    for (int r = 0; r < kRows; ++r) {
      if constexpr (kBf16) {
        Floats even, odd;
        load_pairs(even, odd, w + r * cols + i);
        for (int b = 0; b < kBatch; ++b) acc[r][b] += even * xs[b][0] + odd * xs[b][1];
      } else {
        Floats wv;
        load(wv, w + r * cols + i);
        for (int b = 0; b < kBatch; ++b) acc[r][b] += wv * xs[b][0];
      }
    }
  }
  // The columns past the last whole vector (all of them in a row shorter than one: an
  // attention head of 8) as kRows·kBatch independent sums, so they do not wait on each other.
  float tail[kRows][kBatch] = {};
  for (std::int64_t i = vector_end; i < cols; ++i) {
    for (int r = 0; r < kRows; ++r) {
      const float wi = widen(w[r * cols + i]);
      for (int b = 0; b < kBatch; ++b) tail[r][b] += wi * x[b * cols + i];
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int b = 0; b < kBatch; ++b) {
      y[b * y_stride + r] = (vector_end > 0 ? sum_lanes(acc[r][b]) : 0.0f) + tail[r][b];
    }
  }
}

// Rows [0, rows) against kBatch vectors: kRows at a time, then one at a time.
template <typename W, int kRows, int kBatch>
[[gnu::always_inline]] inline void rows_of(const W* w, std::int64_t rows, std::int64_t cols,
                                           const float* x, float* y, std::int64_t y_stride) {
  std::int64_t r = 0;
  for (; r + kRows <= rows; r += kRows)
    row_block<W, kRows, kBatch>(w + r * cols, cols, x, y + r, y_stride);
  for (; r < rows; ++r) row_block<W, 1, kBatch>(w + r * cols, cols, x, y + r, y_stride);
}

// The vectors four at a time (more would not fit the registers); the caller keeps `rows` small
// enough that a second group of four rereads them from cache, not memory.
template <typename W>
[[gnu::always_inline]] inline void typed_rows(const W* w, std::int64_t rows, std::int64_t cols,
                                              const float* x, std::int64_t batch, float* y,
                                              std::int64_t y_stride) {
  for (std::int64_t first = 0; first < batch; first += 4) {
    const float* xb = x + first * cols;
    float* yb = y + first * y_stride;
    switch (std::min<std::int64_t>(4, batch - first)) {
      case 1:
        rows_of<W, 4, 1>(w, rows, cols, xb, yb, y_stride);
        break;
      case 2:
        rows_of<W, 2, 2>(w, rows, cols, xb, yb, y_stride);
        break;
      case 3:
        rows_of<W, 1, 3>(w, rows, cols, xb, yb, y_stride);
        break;
      default:
        rows_of<W, 1, 4>(w, rows, cols, xb, yb, y_stride);
        break;
    }
  }
}

[[gnu::always_inline]] inline void any_rows(WeightDtype dtype, const void* w, std::int64_t rows,
                                            std::int64_t cols, const float* x, std::int64_t batch,
                                            float* y, std::int64_t y_stride) {
  if (dtype == WeightDtype::kBf16) {
    typed_rows(static_cast<const std::uint16_t*>(w), rows, cols, x, batch, y, y_stride);
  } else {
    typed_rows(static_cast<const float*>(w), rows, cols, x, batch, y, y_stride);
  }
}

void rows_baseline(WeightDtype dtype, const void* w, std::int64_t rows, std::int64_t cols,
                   const float* x, std::int64_t batch, float* y, std::int64_t y_stride) {
  any_rows(dtype, w, rows, cols, x, batch, y, y_stride);
}

#if defined(__x86_64__)
[[gnu::target("avx2,fma")]] void rows_avx2(WeightDtype dtype, const void* w, std::int64_t rows,
                                           std::int64_t cols, const float* x, std::int64_t batch,
                                           float* y, std::int64_t y_stride) {
  any_rows(dtype, w, rows, cols, x, batch, y, y_stride);
}

[[gnu::target("avx512f")]] void rows_avx512(WeightDtype dtype, const void* w, std::int64_t rows,
                                            std::int64_t cols, const float* x, std::int64_t batch,
                                            float* y, std::int64_t y_stride) {
  any_rows(dtype, w, rows, cols, x, batch, y, y_stride);
}
#endif

}  // namespace

std::vector<NamedMatvecKernel> matvec_kernels() {
  std::vector<NamedMatvecKernel> kernels;
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) kernels.push_back({"avx512", rows_avx512});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    kernels.push_back({"avx2", rows_avx2});
  }
#endif
  kernels.push_back({"baseline", rows_baseline});
  return kernels;
}

const float* prepare_input(WeightDtype dtype, const float* x, std::int64_t batch, std::int64_t cols,
                           std::vector<float>& split) {
  if (dtype == WeightDtype::kF32) return x;
  constexpr std::int64_t kStep = 2 * kLanes;
  split.assign(x, x + batch * cols);
  for (std::int64_t b = 0; b < batch; ++b) {
    const float* in = x + b * cols;
    float* out = split.data() + b * cols;
    for (std::int64_t block = 0; block + kStep <= cols; block += kStep) {
      for (std::int64_t k = 0; k < kLanes; ++k) {
        out[block + k] = in[block + 2 * k];
        out[block + kLanes + k] = in[block + 2 * k + 1];
      }
    }
  }
  return split.data();
}

}  // namespace detail

namespace {

// Rows per kernel call, and the smallest share of a thread: 16 rows of the widest decode input
// (an MLP's 18,944 columns at 7B, float32) are 1.2 MB, which a second group of four vectors still
// finds in cache.
constexpr std::int64_t kRowBlock = 16;
// A group with fewer weights than this runs on the calling thread: waking the others costs more
// than streaming it (a 260K-parameter model's every matrix is below it).
constexpr std::int64_t kThreadedWeights = std::int64_t{1} << 16;

std::int64_t element_bytes(WeightDtype dtype) {
  return dtype == WeightDtype::kBf16 ? 2 : 4;
}

float bias_at(WeightDtype dtype, const void* bias, std::int64_t row) {
  if (dtype == WeightDtype::kF32) return static_cast<const float*>(bias)[row];
  return static_cast<float>(static_cast<const at::BFloat16*>(bias)[row]);
}

}  // namespace

void matvec(WeightDtype dtype, std::span<const MatrixRows> group, std::int64_t cols, const float* x,
            std::int64_t batch, float* y) {
  static const detail::MatvecKernel kernel = detail::matvec_kernels().front().run;
  CLAW_CHECK(batch >= 1 && batch <= kMaxMatvecBatch, "matvec takes 1 to ", kMaxMatvecBatch,
             " vectors, got ", batch);
  std::int64_t total = 0;
  for (const MatrixRows& m : group) total += m.rows;
  const std::int64_t bytes = element_bytes(dtype);
  // The calling thread's buffer, reused from call to call; the workers only read it.
  thread_local std::vector<float> split;
  const float* input = detail::prepare_input(dtype, x, batch, cols, split);
  // Rows [begin, end) of the stacked matrix: each matrix's part in blocks of kRowBlock.
  const auto run = [&](std::int64_t begin, std::int64_t end) {
    std::int64_t offset = 0;
    for (const MatrixRows& m : group) {
      const std::int64_t first = std::max(begin, offset), last = std::min(end, offset + m.rows);
      for (std::int64_t r = first; r < last; r += kRowBlock) {
        const std::int64_t rows = std::min(kRowBlock, last - r);
        const auto* w = static_cast<const char*>(m.weight) + (r - offset) * cols * bytes;
        kernel(dtype, w, rows, cols, input, batch, y + r, total);
        if (m.bias == nullptr) continue;
        for (std::int64_t b = 0; b < batch; ++b) {
          for (std::int64_t k = r; k < r + rows; ++k) {
            y[b * total + k] += bias_at(dtype, m.bias, k - offset);
          }
        }
      }
      offset += m.rows;
    }
  };
  if (total * cols < kThreadedWeights) {
    run(0, total);
    return;
  }
  at::parallel_for(0, total, kRowBlock, run);
}

torch::Tensor bf16_matvec(const torch::Tensor& weight, const torch::Tensor& x,
                          const torch::Tensor& bias) {
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
  const std::vector<float> x32(xc.data_ptr<at::BFloat16>(), xc.data_ptr<at::BFloat16>() + in);
  std::vector<float> y32(static_cast<std::size_t>(out));
  const MatrixRows matrix{w.data_ptr(), b.defined() ? b.data_ptr() : nullptr, out};
  matvec(WeightDtype::kBf16, {&matrix, 1}, in, x32.data(), 1, y32.data());
  torch::Tensor y = torch::empty({out}, w.options());
  std::copy(y32.begin(), y32.end(), y.data_ptr<at::BFloat16>());
  return y;
}

}  // namespace claw::model

#include "io/gguf_quant.h"

#include <cmath>
#include <cstring>

#include "core/error.h"

namespace claw::io {

float half_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1fu;
  const std::uint32_t mantissa = bits & 0x3ffu;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // zero or subnormal
  } else if (exponent == 31) {
    magnitude = mantissa == 0 ? INFINITY : NAN;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
  }
  std::uint32_t out;
  std::memcpy(&out, &magnitude, sizeof(out));
  out |= sign;
  float result;
  std::memcpy(&result, &out, sizeof(result));
  return result;
}

std::uint16_t float_to_half(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const float magnitude = std::fabs(value);
  if (std::isnan(value)) return static_cast<std::uint16_t>(sign | 0x7e00u);
  if (magnitude >= 65520.0f) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds to inf
  if (magnitude < 6.103515625e-05f) {
    // Subnormal (or zero): a multiple of 2^-24, rounded to nearest even by nearbyint.
    const auto units = static_cast<std::uint16_t>(std::nearbyint(magnitude * 16777216.0f));
    return static_cast<std::uint16_t>(sign | units);
  }
  std::uint32_t m;
  std::memcpy(&m, &magnitude, sizeof(m));
  // Drop 13 mantissa bits with round to nearest even, then rebias the exponent (127 -> 15).
  const std::uint32_t rounded = m + 0x0fffu + ((m >> 13) & 1u);
  return static_cast<std::uint16_t>(sign | (((rounded >> 13) - ((127u - 15u) << 10)) & 0x7fffu));
}

float bf16_to_float(std::uint16_t bits) {
  const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
  float result;
  std::memcpy(&result, &wide, sizeof(result));
  return result;
}

std::vector<std::byte> quantize_q8_0(const float* values, std::size_t count) {
  CLAW_CHECK(count % kQ8BlockValues == 0, "Q8_0 needs whole blocks of 32 values, got ", count);
  std::vector<std::byte> out(count / kQ8BlockValues * kQ8BlockBytes);
  quantize_q8_0(values, count, out.data());
  return out;
}

void quantize_q8_0(const float* values, std::size_t count, std::byte* out) {
  CLAW_CHECK(count % kQ8BlockValues == 0, "Q8_0 needs whole blocks of 32 values, got ", count);
  for (std::size_t block = 0; block * kQ8BlockValues < count; ++block) {
    const float* x = values + block * kQ8BlockValues;
    float max_abs = 0;
    for (std::int64_t i = 0; i < kQ8BlockValues; ++i) max_abs = std::fmax(max_abs, std::fabs(x[i]));
    const float d = max_abs / 127.0f;
    std::byte* dst = out + block * kQ8BlockBytes;
    const std::uint16_t scale = float_to_half(d);
    std::memcpy(dst, &scale, sizeof(scale));
    for (std::int64_t i = 0; i < kQ8BlockValues; ++i) {
      const auto q = static_cast<std::int8_t>(d == 0 ? 0.0f : std::round(x[i] / d));
      std::memcpy(dst + 2 + i, &q, 1);
    }
  }
}

void dequantize_q8_0(const std::byte* blocks, std::size_t count, float* out) {
  for (std::size_t block = 0; block * kQ8BlockValues < count; ++block) {
    const std::byte* src = blocks + block * kQ8BlockBytes;
    std::uint16_t scale;
    std::memcpy(&scale, src, sizeof(scale));
    const float d = half_to_float(scale);
    for (std::int64_t i = 0; i < kQ8BlockValues; ++i) {
      std::int8_t q;
      std::memcpy(&q, src + 2 + i, 1);
      out[block * kQ8BlockValues + i] = d * static_cast<float>(q);
    }
  }
}

std::vector<float> gguf_tensor_floats(const GgufTensor& tensor) {
  const auto n = static_cast<std::size_t>(tensor.numel());
  std::vector<float> out(n);
  switch (tensor.type) {
    case GgmlType::kF32:
      std::memcpy(out.data(), tensor.data, n * sizeof(float));
      break;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t bits;
        std::memcpy(&bits, tensor.data + 2 * i, sizeof(bits));
        out[i] = tensor.type == GgmlType::kF16 ? half_to_float(bits) : bf16_to_float(bits);
      }
      break;
    case GgmlType::kQ8_0:
      dequantize_q8_0(tensor.data, n, out.data());
      break;
  }
  return out;
}

}  // namespace claw::io

// GGUF tensor element types as floats: fp16 and bf16 conversions, and ggml's Q8_0 (blocks of 32
// values sharing one fp16 scale d = max|x| / 127, each value stored as the int8 round(x / d)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "io/gguf.h"

namespace claw::io {

float half_to_float(std::uint16_t bits);
// Rounds to nearest, ties to even (as LibTorch and ggml do).
std::uint16_t float_to_half(float value);
float bf16_to_float(std::uint16_t bits);

// Q8_0 blocks of `values` (a multiple of 32 values), returned or written to `out` (count / 32
// blocks of 34 bytes).
std::vector<std::byte> quantize_q8_0(const float* values, std::size_t count);
void quantize_q8_0(const float* values, std::size_t count, std::byte* out);
void dequantize_q8_0(const std::byte* blocks, std::size_t count, float* out);

// The values of a GGUF tensor of any type claw reads, as float32, in storage order.
std::vector<float> gguf_tensor_floats(const GgufTensor& tensor);

}  // namespace claw::io

#include "model/vector_math.h"

#include <algorithm>
#include <cstring>

namespace claw::model {

// One clone per instruction set, chosen when the program loads: the loop runs 16, 8 or 4 lanes
// wide.
#if defined(__x86_64__)
[[gnu::target_clones("avx512f", "avx2", "default")]]
#endif
void exp_in_place(float* x, std::int64_t count) {
  // e^x = 2^n · e^r with n = round(x·log2 e) and r = x - n·ln 2 in [-ln2/2, ln2/2], where a
  // degree-6 polynomial gives e^r to float32 precision (Cephes' expf); ln 2 is split in two so
  // that n·ln 2 is exact. Written without branches, the loop vectorises.
  constexpr float kLog2e = 1.44269504088896341f, kLn2High = 0.693359375f, kLn2Low = -2.12194440e-4f,
                  kSmallest = -87.3f, kLargest = 88.0f;
  for (std::int64_t i = 0; i < count; ++i) {
    const float v = x[i];
    const float clamped = std::min(std::max(v, kSmallest), kLargest);
    const float scaled = clamped * kLog2e + 0.5f;
    // floor(scaled), without the library call the vectoriser cannot see through.
    const auto truncated = static_cast<std::int32_t>(scaled);
    const std::int32_t n =
        truncated - static_cast<std::int32_t>(scaled < static_cast<float>(truncated));
    const float r = clamped - static_cast<float>(n) * kLn2High - static_cast<float>(n) * kLn2Low;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float er = p * r * r + r + 1.0f;
    const std::uint32_t bits = static_cast<std::uint32_t>(n + 127) << 23;
    float two_to_n;
    std::memcpy(&two_to_n, &bits, sizeof two_to_n);
    // 0 below float32's range: a multiply by 0 or 1 rather than a branch.
    x[i] = er * two_to_n * static_cast<float>(v >= kSmallest);
  }
}

}  // namespace claw::model

#include "io/gguf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/gguf_quant.h"
#include "support/test_support.h"

namespace {

using claw::io::GgmlType;
using claw::io::GgufTensorEntry;
using claw::io::GgufType;
using claw::io::GgufValue;
using claw::testing::ScratchDir;

constexpr const char* kGgufSource = "model.gguf";

GgufTensorEntry gguf_entry(std::string name, GgmlType type, std::vector<std::int64_t> dims,
                           std::string bytes) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  return {std::move(name), type, std::move(dims), [owned] {
            return claw::io::OwnedBytes{owned, reinterpret_cast<const std::byte*>(owned->data()),
                                        owned->size()};
          }};
}

std::string gguf_pattern(std::size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 29 + seed * 7) & 0xff);
  return bytes;
}

claw::io::GgufContents parse_gguf_bytes(const std::string& bytes) {
  return claw::io::parse_gguf(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(),
                              kGgufSource);
}

// Succeeds when parsing throws a one-line claw::Error naming the source and holding `phrase`.
testing::AssertionResult gguf_rejected(const std::string& bytes, const std::string& phrase) {
  try {
    parse_gguf_bytes(bytes);
  } catch (const claw::Error& e) {
    const std::string message = e.what();
    if (message.find(kGgufSource) != std::string::npos &&
        message.find(phrase) != std::string::npos && message.find('\n') == std::string::npos) {
      return testing::AssertionSuccess();
    }
    return testing::AssertionFailure()
           << "message \"" << message << "\" lacks \"" << phrase << "\"";
  }
  return testing::AssertionFailure() << "accepted a malformed file";
}

template <typename T>
void put(std::string& bytes, std::size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof(T));
}

// One u32 key "a" and one F32 tensor "t" of 4 values. Offsets: 24 key length, 32 'a', 33 value
// type, 37 value, 41 tensor name length, 49 't', 50 n_dims, 54 ne[0], 62 type, 66 offset, then
// the data at 96..112, padded to 128.
std::string small_gguf(const ScratchDir& dir) {
  claw::io::write_gguf(dir / "small.gguf", {{"a", GgufValue::u32(7)}},
                       {gguf_entry("t", GgmlType::kF32, {4}, gguf_pattern(16, 1))});
  return claw::testing::read_bytes(dir / "small.gguf");
}

TEST(GgufTest, EveryValueTypeAndTensorTypeSurvivesARoundTrip) {
  const ScratchDir dir;
  const auto scalar = [](GgufType type, std::int64_t n) {
    GgufValue v;
    v.type = type;
    v.ints = {n};
    return v;
  };
  GgufValue f64;
  f64.type = GgufType::kF64;
  f64.floats = {0.1};
  const claw::io::GgufMetadata metadata = {
      {"u8", scalar(GgufType::kU8, 250)},
      {"i8", scalar(GgufType::kI8, -100)},
      {"u16", scalar(GgufType::kU16, 65000)},
      {"i16", scalar(GgufType::kI16, -30000)},
      {"u32", GgufValue::u32(4000000000u)},
      {"i32", GgufValue::i32(-2000000000)},
      {"f32", GgufValue::f32(1e-6f)},
      {"bool", GgufValue::boolean(true)},
      {"string", GgufValue::string("héllo")},
      {"u64", GgufValue::u64(~std::uint64_t{0})},
      {"i64", scalar(GgufType::kI64, -(std::int64_t{1} << 40))},
      {"f64", f64},
      {"strings", GgufValue::string_array({"a b", "", "<0x0A>"})},
      {"floats", GgufValue::f32_array({0.5f, -2.0f})},
      {"ints", GgufValue::i32_array({1, -2, 3})},
  };
  const std::vector<GgufTensorEntry> tensors = {
      gguf_entry("f32", GgmlType::kF32, {3, 2}, gguf_pattern(24, 1)),
      gguf_entry("f16", GgmlType::kF16, {5}, gguf_pattern(10, 2)),
      gguf_entry("bf16", GgmlType::kBF16, {2, 1, 3}, gguf_pattern(12, 3)),
      gguf_entry("q8", GgmlType::kQ8_0, {64, 2}, gguf_pattern(4 * 34, 4)),
  };
  claw::io::write_gguf(dir / "m.gguf", metadata, tensors);
  EXPECT_TRUE(claw::io::is_gguf_file(dir / "m.gguf"));

  const claw::io::GgufFile file(dir / "m.gguf");
  EXPECT_EQ(file.contents().version, 3u);
  EXPECT_EQ(file.contents().alignment, 32u);
  ASSERT_EQ(file.metadata().size(), metadata.size());
  for (std::size_t i = 0; i < metadata.size(); ++i) {
    SCOPED_TRACE(metadata[i].first);
    const auto& [key, value] = file.metadata()[i];
    EXPECT_EQ(key, metadata[i].first);
    EXPECT_EQ(value.type, metadata[i].second.type);
    EXPECT_EQ(value.array, metadata[i].second.array);
    EXPECT_EQ(value.ints, metadata[i].second.ints);
    EXPECT_EQ(value.strings, metadata[i].second.strings);
    if (value.type == GgufType::kF32) {
      ASSERT_EQ(value.floats.size(), metadata[i].second.floats.size());
      for (std::size_t j = 0; j < value.floats.size(); ++j) {
        EXPECT_EQ(static_cast<float>(value.floats[j]),
                  static_cast<float>(metadata[i].second.floats[j]));
      }
    } else {
      EXPECT_EQ(value.floats, metadata[i].second.floats);
    }
  }
  ASSERT_EQ(file.tensors().size(), tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    SCOPED_TRACE(tensors[i].name);
    const claw::io::GgufTensor& t = file.tensors()[i];
    EXPECT_EQ(t.name, tensors[i].name);
    EXPECT_EQ(t.type, tensors[i].type);
    EXPECT_EQ(t.dims, tensors[i].dims);
    EXPECT_EQ(t.offset % 32, 0u);
    const claw::io::OwnedBytes bytes = tensors[i].bytes();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(t.data), t.nbytes),
              std::string(reinterpret_cast<const char*>(bytes.data), bytes.size));
  }
  EXPECT_EQ(file.find_tensor("bf16")->shape(), (std::vector<std::int64_t>{3, 1, 2}));
}

TEST(GgufTest, GeneralAlignmentSetsTheDataPadding) {
  const ScratchDir dir;
  claw::io::write_gguf(dir / "m.gguf", {{"general.alignment", GgufValue::u32(64)}},
                       {gguf_entry("a", GgmlType::kF32, {3}, gguf_pattern(12, 1)),
                        gguf_entry("b", GgmlType::kF32, {1}, gguf_pattern(4, 2))});
  const claw::io::GgufFile file(dir / "m.gguf");
  EXPECT_EQ(file.contents().alignment, 64u);
  EXPECT_EQ(file.tensors()[1].offset, 64u);
  const std::string bytes = claw::testing::read_bytes(dir / "m.gguf");
  EXPECT_EQ(bytes.size() % 64, 0u);
}

TEST(GgufTest, WriterRefusesBytesThatDisagreeWithTheShapeAndLeavesNoFile) {
  const ScratchDir dir;
  EXPECT_THROW(claw::io::write_gguf(dir / "m.gguf", {},
                                    {gguf_entry("t", GgmlType::kF32, {4}, gguf_pattern(12, 1))}),
               claw::Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.gguf"));
}

TEST(GgufTest, EveryTruncationIsRefused) {
  const ScratchDir dir;
  const std::string bytes = small_gguf(dir);
  ASSERT_EQ(bytes.size(), 128u);
  EXPECT_NO_THROW(parse_gguf_bytes(bytes.substr(0, 112)));  // trailing padding is optional
  for (std::size_t size = 0; size < 112; ++size) {
    SCOPED_TRACE(size);
    EXPECT_THROW(parse_gguf_bytes(bytes.substr(0, size)), claw::Error);
  }
  EXPECT_TRUE(gguf_rejected(bytes.substr(0, 60), "truncated at byte 54: a tensor dimension"));
  EXPECT_TRUE(gguf_rejected(bytes.substr(0, 100),
                            "tensor 't' (16 bytes at data offset 0) runs "
                            "past the end of the file (100 bytes)"));
}

TEST(GgufTest, CorruptHeadersGiveOneLineNamingOffsetAndField) {
  const ScratchDir dir;
  const std::string good = small_gguf(dir);
  ASSERT_NO_THROW(parse_gguf_bytes(good));
  const auto corrupt = [&](std::size_t at, auto value) {
    std::string bytes = good;
    put(bytes, at, value);
    return bytes;
  };
  EXPECT_TRUE(gguf_rejected(corrupt(0, 'X'), "at byte 0: bad magic"));
  EXPECT_TRUE(gguf_rejected(corrupt(4, std::uint32_t{2}), "unsupported GGUF version 2"));
  EXPECT_TRUE(gguf_rejected(corrupt(16, std::uint64_t{1} << 40),
                            "at byte 16: metadata count 1099511627776 is more than"));
  EXPECT_TRUE(gguf_rejected(corrupt(8, std::uint64_t{1} << 40), "at byte 8: tensor count"));
  EXPECT_TRUE(gguf_rejected(corrupt(24, std::uint64_t{1000000000}),
                            "at byte 24: a metadata key has length 1000000000, beyond the end"));
  EXPECT_TRUE(gguf_rejected(corrupt(33, std::uint32_t{99}),
                            "at byte 33: key 'a' has unknown value type 99"));
  EXPECT_TRUE(gguf_rejected(corrupt(50, std::uint32_t{5}), "tensor 't' has 5 dimensions"));
  EXPECT_TRUE(gguf_rejected(corrupt(54, std::uint64_t{0}), "has dimension 0"));
  EXPECT_TRUE(gguf_rejected(corrupt(62, std::uint32_t{2}), "has ggml type 2"));
  EXPECT_TRUE(gguf_rejected(corrupt(62, std::uint32_t{8}), "not whole blocks of 32"));
  EXPECT_TRUE(
      gguf_rejected(corrupt(66, std::uint64_t{4}), "offset 4, not a multiple of the alignment 32"));
  EXPECT_TRUE(gguf_rejected(corrupt(66, std::uint64_t{32}), "runs past the end of the file"));
}

TEST(GgufTest, BadArraysAlignmentAndDuplicatesAreRefused) {
  const ScratchDir dir;
  claw::io::write_gguf(dir / "a.gguf", {{"list", GgufValue::i32_array({1, 2})}}, {});
  std::string bytes = claw::testing::read_bytes(dir / "a.gguf");
  // 24 key length, 32 "list", 36 array type, 40 element type, 44 count.
  std::string unknown = bytes;
  put(unknown, 40, std::uint32_t{77});
  EXPECT_TRUE(gguf_rejected(unknown, "at byte 40: array 'list' has unknown element type 77"));
  std::string arrays = bytes;
  put(arrays, 40, std::uint32_t{9});
  EXPECT_TRUE(gguf_rejected(arrays, "holds arrays"));
  std::string long_array = bytes;
  put(long_array, 44, std::uint64_t{1} << 50);
  EXPECT_TRUE(gguf_rejected(long_array, "at byte 44: array 'list' has 1125899906842624 elements"));

  claw::io::write_gguf(dir / "d.gguf", {{"k", GgufValue::u32(1)}, {"k", GgufValue::u32(2)}}, {});
  EXPECT_TRUE(gguf_rejected(claw::testing::read_bytes(dir / "d.gguf"), "duplicate key 'k'"));

  claw::io::write_gguf(dir / "g.gguf", {{"general.alignment", GgufValue::u32(32)}}, {});
  std::string alignment = claw::testing::read_bytes(dir / "g.gguf");
  put(alignment, 24 + 8 + 17 + 4, std::uint32_t{24});
  EXPECT_TRUE(gguf_rejected(alignment, "general.alignment 24 is not a power of two"));
}

TEST(GgufTest, OverlappingTensorsAreRefused) {
  const ScratchDir dir;
  claw::io::write_gguf(dir / "o.gguf", {},
                       {gguf_entry("a", GgmlType::kF32, {8}, gguf_pattern(32, 1)),
                        gguf_entry("b", GgmlType::kF32, {8}, gguf_pattern(32, 2))});
  std::string bytes = claw::testing::read_bytes(dir / "o.gguf");
  // Header 24, tensor "a": 8 + 1 + 4 + 8 + 4 + 8 = 33; "b"'s offset is its last 8 bytes.
  put(bytes, 24 + 33 + 33 - 8, std::uint64_t{0});
  EXPECT_TRUE(gguf_rejected(bytes, "overlaps tensor"));
}

TEST(GgufQuantTest, HalfAndBfloat16ConversionsRoundToNearestEven) {
  EXPECT_EQ(claw::io::float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(claw::io::float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(claw::io::float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(claw::io::float_to_half(1e6f), 0x7c00);
  EXPECT_EQ(claw::io::float_to_half(5.9604645e-08f), 0x0001);      // the smallest subnormal
  EXPECT_EQ(claw::io::float_to_half(1.0f + 1.0f / 2048), 0x3c00);  // a tie goes to even
  EXPECT_EQ(claw::io::float_to_half(1.0f + 3.0f / 2048), 0x3c02);
  for (std::uint32_t bits = 0; bits < 0x7c00; ++bits) {
    const auto half = static_cast<std::uint16_t>(bits);
    ASSERT_EQ(claw::io::float_to_half(claw::io::half_to_float(half)), half) << bits;
  }
  EXPECT_EQ(claw::io::bf16_to_float(0x3f80), 1.0f);
  EXPECT_EQ(claw::io::bf16_to_float(0xc040), -3.0f);
}

TEST(GgufQuantTest, Q8BlockMatchesAHandComputation) {
  // x = -16, -15, ..., 15: max|x| = 16, so d = 16/127 and q = round(x · 127/16).
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i - 16);
  const std::vector<std::byte> block = claw::io::quantize_q8_0(x.data(), x.size());
  ASSERT_EQ(block.size(), 34u);
  std::uint16_t scale;
  std::memcpy(&scale, block.data(), 2);
  EXPECT_EQ(scale, claw::io::float_to_half(16.0f / 127.0f));
  const auto q = [&](int i) { return static_cast<int>(static_cast<std::int8_t>(block[2 + i])); };
  EXPECT_EQ(q(0), -127);  // -16
  EXPECT_EQ(q(1), -119);  // -15 · 7.9375 = -119.06
  EXPECT_EQ(q(15), -8);   // -1 → -7.94
  EXPECT_EQ(q(16), 0);
  EXPECT_EQ(q(17), 8);    // 1 → 7.94
  EXPECT_EQ(q(18), 16);   // 2 → 15.875
  EXPECT_EQ(q(24), 64);   // 8 → 63.5, away from zero
  EXPECT_EQ(q(31), 119);  // 15 → 119.06
  std::vector<float> back(32);
  claw::io::dequantize_q8_0(block.data(), 32, back.data());
  const float d = claw::io::half_to_float(scale);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(back[i], d * static_cast<float>(q(i)));
    // Rounding to the fp16 scale adds at most 127·|d16 − d| to half a step.
    EXPECT_LE(std::fabs(back[i] - x[i]), d / 2 + 127 * std::fabs(d - 16.0f / 127.0f) + 1e-6f);
  }
  const std::vector<float> zeros(32, 0.0f);
  std::vector<float> zero_back(32, 1.0f);
  claw::io::dequantize_q8_0(claw::io::quantize_q8_0(zeros.data(), 32).data(), 32, zero_back.data());
  EXPECT_EQ(zero_back, zeros);
}

}  // namespace

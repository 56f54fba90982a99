#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/tensor_bytes.h"
#include "support/test_support.h"

namespace {

using claw::io::DType;
using claw::io::TensorEntry;
using claw::testing::ScratchDir;
using claw::testing::view_bytes;

constexpr const char* kSource = "weights.safetensors";

// Distinct, deterministic bytes per tensor, so a swapped or shifted range cannot pass.
std::string pattern_bytes(std::size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 37 + seed * 101) & 0xff);
  return bytes;
}

TensorEntry entry(std::string name, DType dtype, std::vector<std::int64_t> shape,
                  std::string bytes) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  return {std::move(name), dtype, std::move(shape), [owned] {
            return claw::io::OwnedBytes{owned, reinterpret_cast<const std::byte*>(owned->data()),
                                        owned->size()};
          }};
}

// A safetensors buffer as the format defines it: u64 little-endian header length, header, data.
std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return bytes + header + data;
}

claw::io::SafetensorsContents parse(const std::string& bytes) {
  return claw::io::parse_safetensors(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(),
                                     kSource);
}

// Succeeds when parsing `bytes` throws a claw::Error naming the source and containing `phrase`.
testing::AssertionResult rejected_with(const std::string& bytes, const std::string& phrase) {
  try {
    parse(bytes);
  } catch (const claw::Error& e) {
    const std::string message = e.what();
    if (message.find(kSource) != std::string::npos && message.find(phrase) != std::string::npos) {
      return testing::AssertionSuccess();
    }
    return testing::AssertionFailure()
           << "message \"" << message << "\" lacks \"" << kSource << "\" or \"" << phrase << "\"";
  }
  return testing::AssertionFailure() << "accepted a malformed buffer";
}

TEST(SafetensorsTest, RoundTripKeepsNamesDtypesShapesMetadataAndBytes) {
  const ScratchDir dir;
  const std::vector<TensorEntry> written = {
      entry("embed.weight", DType::kF32, {3, 4}, pattern_bytes(48, 1)),
      entry("half", DType::kF16, {5}, pattern_bytes(10, 2)),
      entry("scale", DType::kBF16, {2, 1, 3}, pattern_bytes(12, 3)),
      entry("positions", DType::kI64, {7}, pattern_bytes(56, 4)),
      entry("scalar", DType::kF32, {}, pattern_bytes(4, 5)),
  };
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "round trip"}};
  claw::io::write_safetensors(dir / "w.safetensors", written, metadata);

  const claw::io::SafetensorsFile file(dir / "w.safetensors");
  EXPECT_EQ(file.path(), dir / "w.safetensors");
  EXPECT_EQ(file.metadata(), metadata);
  ASSERT_EQ(file.tensors().size(), written.size());
  for (const TensorEntry& expected : written) {
    SCOPED_TRACE(expected.name);
    const auto it = file.tensors().find(expected.name);
    ASSERT_NE(it, file.tensors().end());
    EXPECT_EQ(it->second.dtype, expected.dtype);
    EXPECT_EQ(it->second.shape, expected.shape);
    const claw::io::OwnedBytes bytes = expected.bytes();
    EXPECT_EQ(view_bytes(it->second),
              std::string(reinterpret_cast<const char*>(bytes.data), bytes.size));
  }
}

TEST(SafetensorsTest, DataSectionStartsEightByteAligned) {
  const ScratchDir dir;
  // Names of 1 to 8 characters take the header length through every remainder modulo 8.
  for (const char* name : {"a", "bb", "ccc", "dddd", "eeeee", "ffffff", "ggggggg", "hhhhhhhh"}) {
    SCOPED_TRACE(name);
    claw::io::write_safetensors(dir / "w.safetensors",
                                {entry(name, DType::kF32, {2}, pattern_bytes(8, 6))});
    const std::string bytes = claw::testing::read_bytes(dir / "w.safetensors");
    ASSERT_GE(bytes.size(), 8u);
    std::uint64_t header_len = 0;
    std::memcpy(&header_len, bytes.data(), 8);  // the format and this machine are little-endian
    EXPECT_EQ((8 + header_len) % 8, 0u);
    EXPECT_EQ(bytes.size(), 8 + header_len + 8);
    const claw::io::SafetensorsFile file(dir / "w.safetensors");
    EXPECT_EQ(view_bytes(file.tensors().at(name)), pattern_bytes(8, 6));
  }
}

TEST(SafetensorsTest, WriterRefusesBytesThatDisagreeWithTheShapeAndLeavesNoFile) {
  const ScratchDir dir;
  EXPECT_THROW(claw::io::write_safetensors(dir / "w.safetensors",
                                           {entry("t", DType::kF32, {4}, pattern_bytes(12, 7))}),
               claw::Error);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(SafetensorsTest, WriterRefusesADuplicateName) {
  const ScratchDir dir;
  EXPECT_THROW(claw::io::write_safetensors(dir / "w.safetensors",
                                           {entry("t", DType::kF32, {1}, pattern_bytes(4, 8)),
                                            entry("t", DType::kF32, {1}, pattern_bytes(4, 9))}),
               claw::Error);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(SafetensorsTest, ParsesAHandBuiltBuffer) {
  // The views point into the buffer, which must outlive them.
  const std::string buffer =
      safetensors_bytes(R"({"b":{"dtype":"I64","shape":[1],"data_offsets":[4,12]},)"
                        R"("a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})",
                        "0123456789AB");
  const auto contents = parse(buffer);
  ASSERT_EQ(contents.tensors.size(), 2u);
  EXPECT_EQ(view_bytes(contents.tensors.at("a")), "0123");
  EXPECT_EQ(view_bytes(contents.tensors.at("b")), "456789AB");
  EXPECT_TRUE(contents.metadata.empty());
}

TEST(SafetensorsTest, RejectsABufferShorterThanTheLengthPrefix) {
  EXPECT_TRUE(rejected_with("", "truncated"));
  EXPECT_TRUE(rejected_with(std::string(7, '\0'), "truncated"));
}

TEST(SafetensorsTest, RejectsAHeaderLengthPastTheEnd) {
  const std::string whole = safetensors_bytes(R"({"__metadata__":{}})");
  EXPECT_TRUE(rejected_with(whole.substr(0, whole.size() - 1), "past the end"));
  EXPECT_TRUE(rejected_with(std::string(8, '\xff'), "past the end"));
}

TEST(SafetensorsTest, RejectsMalformedJson) {
  EXPECT_TRUE(rejected_with(safetensors_bytes(R"({"t":{"dtype":"F32",)"), "malformed JSON"));
  EXPECT_TRUE(rejected_with(safetensors_bytes("not json"), "malformed JSON"));
}

TEST(SafetensorsTest, RejectsAHeaderThatIsNotAnObject) {
  EXPECT_TRUE(rejected_with(safetensors_bytes("[1, 2]"), "must be a JSON object"));
  EXPECT_TRUE(rejected_with(safetensors_bytes("\"t\""), "must be a JSON object"));
}

TEST(SafetensorsTest, RejectsAnUnknownDtype) {
  for (const char* dtype : {"F8_E4M3", "Q4", "f32", ""}) {
    SCOPED_TRACE(dtype);
    const std::string header =
        std::string(R"({"t":{"dtype":")") + dtype + R"(","shape":[4],"data_offsets":[0,4]}})";
    EXPECT_TRUE(rejected_with(safetensors_bytes(header, "abcd"), "unknown dtype"));
  }
}

TEST(SafetensorsTest, RejectsAShapeWhoseSizeDiffersFromTheByteRange) {
  EXPECT_TRUE(rejected_with(
      safetensors_bytes(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "01234567"),
      "needs 12 bytes but data_offsets span 8"));
  EXPECT_TRUE(rejected_with(
      safetensors_bytes(R"({"t":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,4]}})", "0123"),
      "needs 8 bytes but data_offsets span 4"));
}

TEST(SafetensorsTest, RejectsAShapeWhoseSizeOverflows) {
  EXPECT_TRUE(rejected_with(
      safetensors_bytes(
          R"({"t":{"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,4]}})", "0123"),
      "too large"));
}

TEST(SafetensorsTest, RejectsDataOffsetsPastTheEnd) {
  EXPECT_TRUE(rejected_with(
      safetensors_bytes(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "0123"),
      "past the end of the data"));
}

TEST(SafetensorsTest, RejectsReversedOffsets) {
  EXPECT_TRUE(rejected_with(
      safetensors_bytes(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", "01234567"),
      "reversed"));
}

TEST(SafetensorsTest, RejectsOverlappingRanges) {
  EXPECT_TRUE(
      rejected_with(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                      std::string(12, 'x')),
                    "overlap"));
  // A range nested inside another, with a third between them in sorted order.
  EXPECT_TRUE(
      rejected_with(safetensors_bytes(R"({"a":{"dtype":"U8","shape":[12],"data_offsets":[0,12]},)"
                                      R"("b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},)"
                                      R"("c":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}})",
                                      std::string(12, 'x')),
                    "overlap"));
}

TEST(SafetensorsTest, RejectsNegativeOrNonIntegerShapeEntries) {
  for (const char* shape : {"[-1]", "[1.5]", "[\"2\"]", "[null]", "2", "{}"}) {
    SCOPED_TRACE(shape);
    const std::string header =
        std::string(R"({"t":{"dtype":"U8","shape":)") + shape + R"(,"data_offsets":[0,2]}})";
    EXPECT_TRUE(rejected_with(safetensors_bytes(header, "ab"), "'shape'"));
  }
}

TEST(SafetensorsTest, RejectsMalformedDataOffsets) {
  for (const char* offsets : {"[0]", "[0,2,4]", "[-1,1]", "[0,\"2\"]", "[0.0,2.0]", "null"}) {
    SCOPED_TRACE(offsets);
    const std::string header =
        std::string(R"({"t":{"dtype":"U8","shape":[2],"data_offsets":)") + offsets + "}}";
    EXPECT_TRUE(rejected_with(safetensors_bytes(header, "abcd"), "'data_offsets'"));
  }
}

TEST(SafetensorsTest, RejectsAnEntryMissingARequiredKey) {
  EXPECT_TRUE(rejected_with(
      safetensors_bytes(R"({"t":{"shape":[1],"data_offsets":[0,4]}})", "abcd"), "'dtype'"));
  EXPECT_TRUE(rejected_with(
      safetensors_bytes(R"({"t":{"dtype":"F32","data_offsets":[0,4]}})", "abcd"), "'shape'"));
  EXPECT_TRUE(rejected_with(safetensors_bytes(R"({"t":{"dtype":"F32","shape":[1]}})", "abcd"),
                            "'data_offsets'"));
  EXPECT_TRUE(rejected_with(safetensors_bytes(R"({"t":[0,4]})", "abcd"), "must be an object"));
}

TEST(SafetensorsTest, ErrorsAboutATensorNameIt) {
  EXPECT_TRUE(rejected_with(
      safetensors_bytes(R"({"layer.7.w":{"dtype":"F32","shape":[1]}})", "abcd"), "'layer.7.w'"));
}

TEST(SafetensorsTest, RejectsNonStringMetadata) {
  EXPECT_TRUE(rejected_with(safetensors_bytes(R"({"__metadata__":{"format":1}})"),
                            "__metadata__ value of 'format' must be a string"));
  EXPECT_TRUE(rejected_with(safetensors_bytes(R"({"__metadata__":{"nested":{"a":"b"}}})"),
                            "__metadata__ value of 'nested'"));
  EXPECT_TRUE(rejected_with(safetensors_bytes(R"({"__metadata__":["format","pt"]})"),
                            "__metadata__ must be an object"));
}

TEST(SafetensorsFileTest, NamesTheFileItCannotParse) {
  const ScratchDir dir;
  const std::filesystem::path path = dir / "short.safetensors";
  claw::testing::write_bytes(path, "abc");
  try {
    const claw::io::SafetensorsFile file(path);
    FAIL() << "accepted a 3-byte file";
  } catch (const claw::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + ": truncated"), std::string::npos)
        << e.what();
  }
}

}  // namespace

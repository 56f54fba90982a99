// The GGUF container (version 3), as llama.cpp reads it: a header, typed metadata key/values,
// tensor infos, then the tensor data at aligned offsets. Reading validates everything before
// trusting it; writing is atomic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/mapped_file.h"
#include "io/tensor_view.h"

namespace claw::io {

// The metadata value types, numbered as the format numbers them.
enum class GgufType : std::uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};
std::string_view gguf_type_name(GgufType type);

// The tensor element types claw reads and writes (ggml's numbering).
enum class GgmlType : std::uint32_t { kF32 = 0, kF16 = 1, kQ8_0 = 8, kBF16 = 30 };
std::string_view ggml_type_name(GgmlType type);

// Q8_0 stores blocks of 32 values: an fp16 scale, then 32 int8.
constexpr std::int64_t kQ8BlockValues = 32;
constexpr std::size_t kQ8BlockBytes = 2 + kQ8BlockValues;

// Bytes of a tensor with `dims` (innermost first) of `type`; Q8_0 needs dims[0] % 32 == 0.
std::size_t ggml_nbytes(GgmlType type, const std::vector<std::int64_t>& dims);

// One metadata value: a scalar, or an array of one element type. Integers and booleans are
// held in `ints` (a u64 bit for bit), f32 and f64 in `floats`, strings in `strings`.
struct GgufValue {
  GgufType type = GgufType::kU32;  // the element type of an array
  bool array = false;
  std::vector<std::int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;

  std::size_t size() const;
  bool is_integer() const;
  bool is_float() const { return type == GgufType::kF32 || type == GgufType::kF64; }

  static GgufValue u32(std::uint32_t value);
  static GgufValue i32(std::int32_t value);
  static GgufValue u64(std::uint64_t value);
  static GgufValue f32(float value);
  static GgufValue boolean(bool value);
  static GgufValue string(std::string value);
  static GgufValue string_array(std::vector<std::string> values);
  static GgufValue f32_array(const std::vector<float>& values);
  static GgufValue i32_array(const std::vector<std::int32_t>& values);
};

// Key/value pairs in file order; keys are unique.
using GgufMetadata = std::vector<std::pair<std::string, GgufValue>>;

const GgufValue* find_gguf_value(const GgufMetadata& metadata, std::string_view key);

struct GgufTensor {
  std::string name;
  GgmlType type = GgmlType::kF32;
  std::vector<std::int64_t> dims;  // ne[0] first: the innermost (row length) first
  std::uint64_t offset = 0;        // from the start of the data section
  const std::byte* data = nullptr;
  std::size_t nbytes = 0;

  std::int64_t numel() const { return shape_numel(dims); }
  // The shape in PyTorch's order (outermost first).
  std::vector<std::int64_t> shape() const { return {dims.rbegin(), dims.rend()}; }
};

struct GgufContents {
  std::uint32_t version = 0;
  std::uint64_t alignment = 32;
  GgufMetadata metadata;
  std::vector<GgufTensor> tensors;
};

constexpr std::uint64_t kGgufDefaultAlignment = 32;

// Validates a whole file held in `buffer`: magic, version 3, counts and lengths within the file,
// known value and tensor types, aligned offsets, tensor data inside the file and not
// overlapping. Every error is one line naming `source`, the byte offset and the field.
GgufContents parse_gguf(const std::byte* buffer, std::size_t size, const std::string& source);

// Whether the file at `path` starts with the GGUF magic.
bool is_gguf_file(const std::filesystem::path& path);

// A memory-mapped, validated GGUF file.
class GgufFile {
 public:
  explicit GgufFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_.path(); }
  const GgufContents& contents() const { return contents_; }
  const GgufMetadata& metadata() const { return contents_.metadata; }
  const std::vector<GgufTensor>& tensors() const { return contents_.tensors; }
  const GgufValue* find(std::string_view key) const { return find_gguf_value(metadata(), key); }
  const GgufTensor* find_tensor(std::string_view name) const;

 private:
  MappedFile file_;
  GgufContents contents_;
};

// One tensor to write: its info now, its bytes (exactly ggml_nbytes) on demand.
struct GgufTensorEntry {
  std::string name;
  GgmlType type = GgmlType::kF32;
  std::vector<std::int64_t> dims;  // innermost first
  std::function<OwnedBytes()> bytes;
};

// Writes a version 3 file atomically. The alignment is `general.alignment` when the metadata
// sets it, else 32; each tensor's data is padded to it.
void write_gguf(const std::filesystem::path& path, const GgufMetadata& metadata,
                const std::vector<GgufTensorEntry>& tensors);

}  // namespace claw::io

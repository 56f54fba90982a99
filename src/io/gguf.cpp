#include "io/gguf.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"

namespace claw::io {
namespace {

constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
constexpr std::uint32_t kVersion = 3;
constexpr std::uint32_t kMaxDims = 4;  // ggml's limit
// Far beyond any real model; keeps the element counts' arithmetic exact.
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 48;

std::size_t scalar_size(GgufType type) {
  switch (type) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kBool:
      return 1;
    case GgufType::kU16:
    case GgufType::kI16:
      return 2;
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kF32:
      return 4;
    case GgufType::kU64:
    case GgufType::kI64:
    case GgufType::kF64:
      return 8;
    case GgufType::kString:
      return 8;  // at least its length
    case GgufType::kArray:
      return 12;  // at least its element type and count
  }
  return 0;
}

bool known_value_type(std::uint32_t type) {
  return type <= static_cast<std::uint32_t>(GgufType::kF64);
}

bool known_ggml_type(std::uint32_t type) {
  return type == 0 || type == 1 || type == 8 || type == 30;
}

// Reads little-endian fields from the buffer, refusing to pass its end.
class Cursor {
 public:
  Cursor(const std::byte* data, std::size_t size, const std::string& source)
      : data_(data), size_(size), source_(source) {}

  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return size_ - pos_; }

  template <typename T>
  T read(const char* field) {
    CLAW_CHECK(remaining() >= sizeof(T), source_, ": truncated at byte ", pos_, ": ", field,
               " needs ", sizeof(T), " bytes but the file ends at ", size_);
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  std::string read_string(const std::string& field) {
    const std::size_t at = pos_;
    const auto length = read<std::uint64_t>(field.c_str());
    CLAW_CHECK(length <= remaining(), source_, ": at byte ", at, ": ", field, " has length ",
               length, ", beyond the end of the file (", size_, " bytes)");
    std::string text(reinterpret_cast<const char*>(data_ + pos_), length);
    pos_ += length;
    return text;
  }

 private:
  const std::byte* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  const std::string& source_;
};

void read_scalar(Cursor& in, GgufType type, GgufValue& value, const std::string& field) {
  const char* f = field.c_str();
  switch (type) {
    case GgufType::kU8:
      value.ints.push_back(in.read<std::uint8_t>(f));
      return;
    case GgufType::kI8:
      value.ints.push_back(in.read<std::int8_t>(f));
      return;
    case GgufType::kU16:
      value.ints.push_back(in.read<std::uint16_t>(f));
      return;
    case GgufType::kI16:
      value.ints.push_back(in.read<std::int16_t>(f));
      return;
    case GgufType::kU32:
      value.ints.push_back(in.read<std::uint32_t>(f));
      return;
    case GgufType::kI32:
      value.ints.push_back(in.read<std::int32_t>(f));
      return;
    case GgufType::kU64:
      value.ints.push_back(static_cast<std::int64_t>(in.read<std::uint64_t>(f)));
      return;
    case GgufType::kI64:
      value.ints.push_back(in.read<std::int64_t>(f));
      return;
    case GgufType::kBool:
      value.ints.push_back(in.read<std::uint8_t>(f) != 0 ? 1 : 0);
      return;
    case GgufType::kF32:
      value.floats.push_back(in.read<float>(f));
      return;
    case GgufType::kF64:
      value.floats.push_back(in.read<double>(f));
      return;
    case GgufType::kString:
      value.strings.push_back(in.read_string(field));
      return;
    case GgufType::kArray:
      break;
  }
  CLAW_FAIL("unreachable GGUF value type");
}

GgufValue read_value(Cursor& in, const std::string& key, const std::string& source) {
  const std::size_t at = in.position();
  const auto type = in.read<std::uint32_t>("a value type");
  CLAW_CHECK(known_value_type(type), source, ": at byte ", at, ": key '", key,
             "' has unknown value type ", type);
  GgufValue value;
  value.type = static_cast<GgufType>(type);
  if (value.type != GgufType::kArray) {
    read_scalar(in, value.type, value, concat("key '", key, "'"));
    return value;
  }
  const std::size_t element_at = in.position();
  const auto element = in.read<std::uint32_t>("an array's element type");
  CLAW_CHECK(known_value_type(element), source, ": at byte ", element_at, ": array '", key,
             "' has unknown element type ", element);
  CLAW_CHECK(static_cast<GgufType>(element) != GgufType::kArray, source, ": at byte ", element_at,
             ": array '", key, "' holds arrays, which are not supported");
  value.type = static_cast<GgufType>(element);
  value.array = true;
  const std::size_t count_at = in.position();
  const auto count = in.read<std::uint64_t>("an array's length");
  CLAW_CHECK(count <= in.remaining() / scalar_size(value.type), source, ": at byte ", count_at,
             ": array '", key, "' has ", count, " elements, more than the rest of the file holds");
  const std::string field = concat("an element of '", key, "'");
  for (std::uint64_t i = 0; i < count; ++i) read_scalar(in, value.type, value, field);
  return value;
}

std::uint64_t align_up(std::uint64_t offset, std::uint64_t alignment) {
  return (offset + alignment - 1) / alignment * alignment;
}

GgufTensor read_tensor_info(Cursor& in, const std::string& source) {
  GgufTensor tensor;
  const std::size_t at = in.position();
  tensor.name = in.read_string("a tensor name");
  const std::string where = concat(source, ": at byte ", at, ": tensor '", tensor.name, "'");
  const auto n_dims = in.read<std::uint32_t>("a tensor's dimension count");
  CLAW_CHECK(n_dims >= 1 && n_dims <= kMaxDims, where, " has ", n_dims,
             " dimensions (1 to 4 are allowed)");
  std::uint64_t elements = 1;
  for (std::uint32_t d = 0; d < n_dims; ++d) {
    const auto ne = in.read<std::uint64_t>("a tensor dimension");
    CLAW_CHECK(ne >= 1 && ne <= kMaxElements && elements * ne <= kMaxElements, where,
               " has dimension ", ne, ", outside 1..2^48 elements");
    elements *= ne;
    tensor.dims.push_back(static_cast<std::int64_t>(ne));
  }
  const auto type = in.read<std::uint32_t>("a tensor type");
  CLAW_CHECK(known_ggml_type(type), where, " has ggml type ", type,
             ", which claw does not read (F32, F16, BF16 and Q8_0 only)");
  tensor.type = static_cast<GgmlType>(type);
  CLAW_CHECK(tensor.type != GgmlType::kQ8_0 || tensor.dims[0] % kQ8BlockValues == 0, where,
             " is Q8_0 but its rows of ", tensor.dims[0], " values are not whole blocks of 32");
  tensor.offset = in.read<std::uint64_t>("a tensor offset");
  tensor.nbytes = ggml_nbytes(tensor.type, tensor.dims);
  return tensor;
}

std::uint64_t read_alignment(const GgufMetadata& metadata, const std::string& source) {
  const GgufValue* value = find_gguf_value(metadata, "general.alignment");
  if (value == nullptr) return kGgufDefaultAlignment;
  CLAW_CHECK(!value->array && value->type == GgufType::kU32, source,
             ": general.alignment must be a u32");
  const auto alignment = static_cast<std::uint64_t>(value->ints.front());
  CLAW_CHECK(alignment != 0 && (alignment & (alignment - 1)) == 0, source, ": general.alignment ",
             alignment, " is not a power of two");
  return alignment;
}

void write_raw(AtomicFileWriter& out, const void* data, std::size_t size) {
  out.write(data, size);
}

template <typename T>
void write_le(AtomicFileWriter& out, T value) {
  write_raw(out, &value, sizeof(T));
}

void write_string(AtomicFileWriter& out, const std::string& text) {
  write_le<std::uint64_t>(out, text.size());
  write_raw(out, text.data(), text.size());
}

void write_scalar(AtomicFileWriter& out, const GgufValue& value, std::size_t i) {
  switch (value.type) {
    case GgufType::kU8:
      return write_le(out, static_cast<std::uint8_t>(value.ints[i]));
    case GgufType::kI8:
      return write_le(out, static_cast<std::int8_t>(value.ints[i]));
    case GgufType::kU16:
      return write_le(out, static_cast<std::uint16_t>(value.ints[i]));
    case GgufType::kI16:
      return write_le(out, static_cast<std::int16_t>(value.ints[i]));
    case GgufType::kU32:
      return write_le(out, static_cast<std::uint32_t>(value.ints[i]));
    case GgufType::kI32:
      return write_le(out, static_cast<std::int32_t>(value.ints[i]));
    case GgufType::kU64:
      return write_le(out, static_cast<std::uint64_t>(value.ints[i]));
    case GgufType::kI64:
      return write_le(out, value.ints[i]);
    case GgufType::kBool:
      return write_le(out, static_cast<std::uint8_t>(value.ints[i] != 0));
    case GgufType::kF32:
      return write_le(out, static_cast<float>(value.floats[i]));
    case GgufType::kF64:
      return write_le(out, value.floats[i]);
    case GgufType::kString:
      return write_string(out, value.strings[i]);
    case GgufType::kArray:
      break;
  }
  CLAW_FAIL("a GGUF value cannot hold an array of arrays");
}

void write_padding(AtomicFileWriter& out, std::uint64_t& position, std::uint64_t alignment) {
  static const char kZeros[256] = {};
  std::uint64_t pad = align_up(position, alignment) - position;
  position += pad;
  while (pad > 0) {
    const std::uint64_t n = std::min<std::uint64_t>(pad, sizeof(kZeros));
    write_raw(out, kZeros, n);
    pad -= n;
  }
}

}  // namespace

std::string_view gguf_type_name(GgufType type) {
  static constexpr std::string_view kNames[] = {"u8",  "i8",  "u16",  "i16",    "u32",
                                                "i32", "f32", "bool", "string", "array",
                                                "u64", "i64", "f64"};
  const auto i = static_cast<std::size_t>(type);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

std::string_view ggml_type_name(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
      return "f32";
    case GgmlType::kF16:
      return "f16";
    case GgmlType::kBF16:
      return "bf16";
    case GgmlType::kQ8_0:
      return "q8_0";
  }
  return "unknown";
}

std::size_t ggml_nbytes(GgmlType type, const std::vector<std::int64_t>& dims) {
  const auto n = static_cast<std::size_t>(shape_numel(dims));
  switch (type) {
    case GgmlType::kF32:
      return n * 4;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      return n * 2;
    case GgmlType::kQ8_0:
      return n / kQ8BlockValues * kQ8BlockBytes;
  }
  return 0;
}

std::size_t GgufValue::size() const {
  if (type == GgufType::kString) return strings.size();
  if (is_float()) return floats.size();
  return ints.size();
}

bool GgufValue::is_integer() const {
  return !is_float() && type != GgufType::kString && type != GgufType::kBool;
}

GgufValue GgufValue::u32(std::uint32_t value) {
  GgufValue v;
  v.type = GgufType::kU32;
  v.ints = {value};
  return v;
}

GgufValue GgufValue::i32(std::int32_t value) {
  GgufValue v;
  v.type = GgufType::kI32;
  v.ints = {value};
  return v;
}

GgufValue GgufValue::u64(std::uint64_t value) {
  GgufValue v;
  v.type = GgufType::kU64;
  v.ints = {static_cast<std::int64_t>(value)};
  return v;
}

GgufValue GgufValue::f32(float value) {
  GgufValue v;
  v.type = GgufType::kF32;
  v.floats = {value};
  return v;
}

GgufValue GgufValue::boolean(bool value) {
  GgufValue v;
  v.type = GgufType::kBool;
  v.ints = {value ? 1 : 0};
  return v;
}

GgufValue GgufValue::string(std::string value) {
  GgufValue v;
  v.type = GgufType::kString;
  v.strings.push_back(std::move(value));
  return v;
}

GgufValue GgufValue::string_array(std::vector<std::string> values) {
  GgufValue v;
  v.type = GgufType::kString;
  v.array = true;
  v.strings = std::move(values);
  return v;
}

GgufValue GgufValue::f32_array(const std::vector<float>& values) {
  GgufValue v;
  v.type = GgufType::kF32;
  v.array = true;
  v.floats.assign(values.begin(), values.end());
  return v;
}

GgufValue GgufValue::i32_array(const std::vector<std::int32_t>& values) {
  GgufValue v;
  v.type = GgufType::kI32;
  v.array = true;
  v.ints.assign(values.begin(), values.end());
  return v;
}

const GgufValue* find_gguf_value(const GgufMetadata& metadata, std::string_view key) {
  for (const auto& [name, value] : metadata) {
    if (name == key) return &value;
  }
  return nullptr;
}

GgufContents parse_gguf(const std::byte* buffer, std::size_t size, const std::string& source) {
  Cursor in(buffer, size, source);
  CLAW_CHECK(size >= sizeof(kMagic) && std::memcmp(buffer, kMagic, sizeof(kMagic)) == 0, source,
             ": at byte 0: bad magic (not a GGUF file)");
  in.read<std::uint32_t>("the magic");
  GgufContents contents;
  contents.version = in.read<std::uint32_t>("the version");
  CLAW_CHECK(contents.version == kVersion, source, ": at byte 4: unsupported GGUF version ",
             contents.version, " (claw reads version 3)");
  const auto tensor_count = in.read<std::uint64_t>("the tensor count");
  const auto kv_count = in.read<std::uint64_t>("the metadata count");
  // Each key/value takes at least 8 + 4 + 1 bytes, each tensor info 8 + 4 + 8 + 4 + 8.
  CLAW_CHECK(kv_count <= in.remaining() / 13, source, ": at byte 16: metadata count ", kv_count,
             " is more than the rest of the file holds");
  CLAW_CHECK(tensor_count <= in.remaining() / 32, source, ": at byte 8: tensor count ",
             tensor_count, " is more than the rest of the file holds");
  std::set<std::string> keys;
  for (std::uint64_t i = 0; i < kv_count; ++i) {
    const std::size_t at = in.position();
    std::string key = in.read_string("a metadata key");
    CLAW_CHECK(keys.insert(key).second, source, ": at byte ", at, ": duplicate key '", key, "'");
    GgufValue value = read_value(in, key, source);
    contents.metadata.emplace_back(std::move(key), std::move(value));
  }
  contents.alignment = read_alignment(contents.metadata, source);
  std::set<std::string> names;
  for (std::uint64_t i = 0; i < tensor_count; ++i) {
    const std::size_t at = in.position();
    GgufTensor tensor = read_tensor_info(in, source);
    CLAW_CHECK(names.insert(tensor.name).second, source, ": at byte ", at, ": duplicate tensor '",
               tensor.name, "'");
    CLAW_CHECK(tensor.offset % contents.alignment == 0, source, ": at byte ", at, ": tensor '",
               tensor.name, "' has offset ", tensor.offset, ", not a multiple of the alignment ",
               contents.alignment);
    contents.tensors.push_back(std::move(tensor));
  }
  if (contents.tensors.empty()) return contents;
  const std::uint64_t data_start = align_up(in.position(), contents.alignment);
  CLAW_CHECK(data_start <= size, source, ": at byte ", in.position(),
             ": the data section would start past the end of the file (", size, " bytes)");
  const std::uint64_t data_size = size - data_start;
  std::vector<const GgufTensor*> by_offset;
  for (GgufTensor& tensor : contents.tensors) {
    CLAW_CHECK(tensor.offset <= data_size && tensor.nbytes <= data_size - tensor.offset, source,
               ": at byte ", data_start + tensor.offset, ": tensor '", tensor.name, "' (",
               tensor.nbytes, " bytes at data offset ", tensor.offset,
               ") runs past the end of the file (", size, " bytes)");
    tensor.data = buffer + data_start + tensor.offset;
    by_offset.push_back(&tensor);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensor& before = *by_offset[i - 1];
    CLAW_CHECK(before.offset + before.nbytes <= by_offset[i]->offset, source, ": at byte ",
               data_start + by_offset[i]->offset, ": tensor '", by_offset[i]->name,
               "' overlaps tensor '", before.name, "'");
  }
  return contents;
}

bool is_gguf_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof(kMagic)] = {};
  in.read(magic, sizeof(magic));
  return in.gcount() == sizeof(magic) && std::memcmp(magic, kMagic, sizeof(kMagic)) == 0;
}

GgufFile::GgufFile(const std::filesystem::path& path)
    : file_(path), contents_(parse_gguf(file_.data(), file_.size(), path.string())) {}

const GgufTensor* GgufFile::find_tensor(std::string_view name) const {
  for (const GgufTensor& tensor : tensors()) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

void write_gguf(const std::filesystem::path& path, const GgufMetadata& metadata,
                const std::vector<GgufTensorEntry>& tensors) {
  const std::uint64_t alignment = read_alignment(metadata, path.string());
  AtomicFileWriter out(path);
  std::uint64_t position = 0;  // bytes written so far, for the padding
  write_raw(out, kMagic, sizeof(kMagic));
  write_le<std::uint32_t>(out, kVersion);
  write_le<std::uint64_t>(out, tensors.size());
  write_le<std::uint64_t>(out, metadata.size());
  position += 24;
  for (const auto& [key, value] : metadata) {
    write_string(out, key);
    position += 8 + key.size();
    if (value.array) {
      write_le<std::uint32_t>(out, static_cast<std::uint32_t>(GgufType::kArray));
      write_le<std::uint32_t>(out, static_cast<std::uint32_t>(value.type));
      write_le<std::uint64_t>(out, value.size());
      position += 16;
    } else {
      CLAW_CHECK(value.size() == 1, "GGUF key '", key, "' holds ", value.size(),
                 " values but is not an array");
      write_le<std::uint32_t>(out, static_cast<std::uint32_t>(value.type));
      position += 4;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      write_scalar(out, value, i);
      position +=
          value.type == GgufType::kString ? 8 + value.strings[i].size() : scalar_size(value.type);
    }
  }
  std::uint64_t offset = 0;
  std::vector<std::size_t> sizes;
  for (const GgufTensorEntry& tensor : tensors) {
    CLAW_CHECK(!tensor.dims.empty() && tensor.dims.size() <= kMaxDims, "GGUF tensor '", tensor.name,
               "' must have 1 to 4 dimensions");
    CLAW_CHECK(tensor.type != GgmlType::kQ8_0 || tensor.dims[0] % kQ8BlockValues == 0,
               "GGUF tensor '", tensor.name, "': Q8_0 rows must be whole blocks of 32");
    write_string(out, tensor.name);
    write_le<std::uint32_t>(out, static_cast<std::uint32_t>(tensor.dims.size()));
    for (std::int64_t ne : tensor.dims) write_le<std::uint64_t>(out, ne);
    write_le<std::uint32_t>(out, static_cast<std::uint32_t>(tensor.type));
    write_le<std::uint64_t>(out, offset);
    position += 8 + tensor.name.size() + 4 + 8 * tensor.dims.size() + 4 + 8;
    sizes.push_back(ggml_nbytes(tensor.type, tensor.dims));
    offset = align_up(offset + sizes.back(), alignment);
  }
  write_padding(out, position, alignment);
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const OwnedBytes bytes = tensors[i].bytes();
    CLAW_CHECK(bytes.size == sizes[i], "GGUF tensor '", tensors[i].name, "' has ", bytes.size,
               " bytes but its type and shape need ", sizes[i]);
    write_raw(out, bytes.data, bytes.size);
    position += bytes.size;
    write_padding(out, position, alignment);
  }
  out.commit();
}

}  // namespace claw::io

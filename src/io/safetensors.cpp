#include "io/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json.h"

namespace claw::io {
namespace {

// The reference implementation's limit: a larger header is refused before it is parsed.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::size_t kLengthPrefixBytes = 8;

std::uint64_t read_u64_le(const std::byte* p) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | std::to_integer<std::uint64_t>(p[i]);
  return value;
}

std::vector<std::int64_t> parse_shape(const Json& shape, const std::string& where) {
  CLAW_CHECK(shape.is_array(), where, ": 'shape' must be an array of integers");
  std::vector<std::int64_t> dims;
  for (const Json& d : shape) {
    CLAW_CHECK(d.is_number_unsigned() && d.get<std::uint64_t>() <= (std::uint64_t{1} << 62), where,
               ": 'shape' must hold non-negative integers, got ", shape.dump());
    dims.push_back(d.get<std::int64_t>());
  }
  return dims;
}

// Byte size of a tensor, or an error if it does not fit in 64 bits.
std::uint64_t checked_nbytes(const std::vector<std::int64_t>& shape, DType dtype,
                             const std::string& where) {
  std::uint64_t bytes = dtype_size(dtype);
  for (std::int64_t d : shape) {
    CLAW_CHECK(!__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes), where,
               ": shape is too large");
  }
  return bytes;
}

}  // namespace

SafetensorsContents parse_safetensors(const std::byte* buffer, std::size_t size,
                                      const std::string& source) {
  CLAW_CHECK(size >= kLengthPrefixBytes, source, ": truncated: ", size,
             " bytes is too short for a safetensors file");
  const std::uint64_t header_len = read_u64_le(buffer);
  CLAW_CHECK(header_len <= size - kLengthPrefixBytes, source, ": header length ", header_len,
             " runs past the end of the file (", size, " bytes)");
  CLAW_CHECK(header_len <= kMaxHeaderBytes, source, ": header length ", header_len, " exceeds the ",
             kMaxHeaderBytes, "-byte limit");
  const auto* header_begin = reinterpret_cast<const char*>(buffer + kLengthPrefixBytes);
  const Json header = parse_json(std::string_view(header_begin, header_len), source);
  CLAW_CHECK(header.is_object(), source, ": header must be a JSON object");

  const std::byte* data = buffer + kLengthPrefixBytes + header_len;
  const std::uint64_t data_size = size - kLengthPrefixBytes - header_len;

  SafetensorsContents contents;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      CLAW_CHECK(entry.is_object(), source, ": __metadata__ must be an object of strings");
      for (const auto& [key, value] : entry.items()) {
        CLAW_CHECK(value.is_string(), source, ": __metadata__ value of '", key,
                   "' must be a string");
        contents.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = concat(source, ": tensor '", name, "'");
    CLAW_CHECK(entry.is_object(), where, ": entry must be an object");
    const auto dtype_name_text = json_required<std::string>(entry, "dtype", where);
    const std::optional<DType> dtype = dtype_from_name(dtype_name_text);
    CLAW_CHECK(dtype.has_value(), where, ": unknown dtype '", dtype_name_text, "'");
    CLAW_CHECK(entry.contains("shape"), where, ": missing required key 'shape'");
    std::vector<std::int64_t> shape = parse_shape(entry["shape"], where);
    CLAW_CHECK(entry.contains("data_offsets"), where, ": missing required key 'data_offsets'");
    const Json& offsets = entry["data_offsets"];
    CLAW_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                   offsets[1].is_number_unsigned(),
               where, ": 'data_offsets' must be [begin, end], got ", offsets.dump());
    const auto begin = offsets[0].get<std::uint64_t>();
    const auto end = offsets[1].get<std::uint64_t>();
    CLAW_CHECK(begin <= end, where, ": data_offsets [", begin, ", ", end, "] are reversed");
    CLAW_CHECK(end <= data_size, where, ": data_offsets [", begin, ", ", end,
               "] run past the end of the data (", data_size, " bytes)");
    const std::uint64_t expected = checked_nbytes(shape, *dtype, where);
    CLAW_CHECK(end - begin == expected, where, ": shape ", entry["shape"].dump(), " of ",
               dtype_name_text, " needs ", expected, " bytes but data_offsets span ", end - begin);
    ranges.emplace_back(begin, end);
    contents.tensors[name] =
        TensorView{*dtype, std::move(shape), data + begin, static_cast<std::size_t>(end - begin)};
  }

  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    CLAW_CHECK(ranges[i].first >= ranges[i - 1].second, source, ": tensor data ranges [",
               ranges[i - 1].first, ", ", ranges[i - 1].second, ") and [", ranges[i].first, ", ",
               ranges[i].second, ") overlap");
  }
  return contents;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path)
    : file_(path), contents_(parse_safetensors(file_.data(), file_.size(), path.string())) {}

void write_safetensors(const std::filesystem::path& path, const std::vector<TensorEntry>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const TensorEntry& t : tensors) {
    CLAW_CHECK(!header.contains(t.name), path.string(), ": tensor '", t.name, "' written twice");
    const std::uint64_t size = t.nbytes();
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string header_text = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  AtomicFileWriter out(path);
  std::byte prefix[kLengthPrefixBytes];
  for (std::size_t i = 0; i < kLengthPrefixBytes; ++i) {
    prefix[i] = static_cast<std::byte>((header_text.size() >> (8 * i)) & 0xff);
  }
  out.write(prefix, sizeof prefix);
  out.write(header_text);
  for (const TensorEntry& t : tensors) {
    const OwnedBytes bytes = t.bytes();
    CLAW_CHECK(bytes.size == t.nbytes(), path.string(), ": tensor '", t.name, "' produced ",
               bytes.size, " bytes, expected ", t.nbytes());
    out.write(bytes.data, bytes.size);
  }
  out.commit();
}

}  // namespace claw::io

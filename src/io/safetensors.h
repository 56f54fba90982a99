// The safetensors format: u64 little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "io/tensor_view.h"

namespace claw::io {

struct SafetensorsContents {
  std::map<std::string, TensorView> tensors;
  std::map<std::string, std::string> metadata;
};

// Validates the header of a whole file held in `buffer` before trusting any of it: header length
// within the buffer, well-formed JSON, known dtypes, shape × dtype size equal to the byte range,
// ranges inside the data section and not overlapping. Errors name `source`.
SafetensorsContents parse_safetensors(const std::byte* buffer, std::size_t size,
                                      const std::string& source);

// A memory-mapped, validated safetensors file.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_.path(); }
  const std::map<std::string, TensorView>& tensors() const { return contents_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return contents_.metadata; }

 private:
  MappedFile file_;
  SafetensorsContents contents_;
};

// Writes `tensors` in order, atomically, with `metadata` as the header's __metadata__.
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorEntry>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace claw::io

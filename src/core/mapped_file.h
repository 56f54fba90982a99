// A read-only memory map of a whole file: large checkpoints are read without copying them.
#pragma once

#include <cstddef>
#include <filesystem>

namespace claw {

class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void release();

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

// Drops this process's resident pages of [data, data + size), which must lie in a read-only file
// mapping: reading a large file once through a map then leaves nothing resident, and the pages
// are read again from the file (or the page cache) if touched.
void release_mapped_pages(const std::byte* data, std::size_t size);

}  // namespace claw

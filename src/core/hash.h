// Content hashes: 128-bit XXH3, fast enough to fingerprint multi-gigabyte checkpoints.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace claw {

class ContentHasher {
 public:
  ContentHasher();
  ~ContentHasher();
  ContentHasher(const ContentHasher&) = delete;
  ContentHasher& operator=(const ContentHasher&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // 32 lowercase hex digits, high 64 bits first (XXH3's canonical order).
  std::string hex_digest() const;

 private:
  void* state_;
};

}  // namespace claw

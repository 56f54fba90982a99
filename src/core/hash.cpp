#include "core/hash.h"

#include <xxhash.h>

#include <cstdio>

#include "core/error.h"

namespace claw {

ContentHasher::ContentHasher() : state_(XXH3_createState()) {
  CLAW_CHECK(state_ != nullptr, "out of memory creating a hash state");
  XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}

ContentHasher::~ContentHasher() {
  XXH3_freeState(static_cast<XXH3_state_t*>(state_));
}

void ContentHasher::update(const void* data, std::size_t size) {
  XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), data, size);
}

std::string ContentHasher::hex_digest() const {
  const XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return text;
}

}  // namespace claw

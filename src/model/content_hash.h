// The content hash that identifies a model in study keys and records: 32 hex digits over the
// architecture and every weight's dtype, shape and bytes, the same for a model loaded from any
// format. A stored model is hashed from its memory-mapped tensors one at a time, so hashing a
// 14B model needs little memory, and the hash is cached by path, size and modification time.
#pragma once

#include <filesystem>
#include <string>

#include "model/model.h"

namespace claw::model {

class StoredModel;

std::string content_hash(const Model& model);

// content_hash(load_model(path)), without loading: each tensor's pages are dropped once hashed.
std::string content_hash(const StoredModel& stored);

// The same, from the cache when none of the model's files changed since it was hashed (by path,
// size and modification time). The cache lives in $CLAW_CACHE, else $XDG_CACHE_HOME/claw, else
// ~/.cache/claw; one that cannot be written is skipped.
std::string cached_content_hash(const std::filesystem::path& path);

}  // namespace claw::model

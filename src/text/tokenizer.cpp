#include "text/tokenizer.h"

namespace claw::text {

std::string Tokenizer::decode(const std::vector<std::int32_t>& ids) const {
  std::string text;
  std::int32_t previous = -1;
  for (std::int32_t id : ids) {
    text += decode_token(previous, id);
    previous = id;
  }
  return text;
}

bool same_vocabulary(const Tokenizer& a, const Tokenizer& b) {
  if (a.vocab_size() != b.vocab_size() || a.bos_id() != b.bos_id() || a.eos_id() != b.eos_id()) {
    return false;
  }
  for (std::int64_t id = 0; id < a.vocab_size(); ++id) {
    const auto token = static_cast<std::int32_t>(id);
    if (a.decode_token(-1, token) != b.decode_token(-1, token)) return false;
  }
  return true;
}

}  // namespace claw::text

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

}  // namespace claw::text

#include "core/text_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace claw {

std::string read_text_file(const std::filesystem::path& path) {
  CLAW_CHECK(std::filesystem::is_regular_file(path), path.string(), ": no such file");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  CLAW_CHECK(in.good() || in.eof(), path.string(), ": cannot be read");
  return text.str();
}

namespace {
constexpr std::string_view kWhitespace = " \t\n\r\f\v";
}  // namespace

std::string_view rstrip(std::string_view text) {
  const std::size_t last = text.find_last_not_of(kWhitespace);
  return last == std::string_view::npos ? std::string_view() : text.substr(0, last + 1);
}

std::string_view strip(std::string_view text) {
  const std::string_view trimmed = rstrip(text);
  return trimmed.substr(std::min(trimmed.size(), trimmed.find_first_not_of(kWhitespace)));
}

}  // namespace claw

#include "core/text_file.h"

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

std::string_view strip(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t\n\r\f\v";
  const std::size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kWhitespace) + 1 - begin);
}

}  // namespace claw

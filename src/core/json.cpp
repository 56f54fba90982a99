#include "core/json.h"

#include <fstream>
#include <sstream>

namespace claw {

Json parse_json(std::string_view text, const std::string& source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    CLAW_FAIL(source, ": malformed JSON at byte ", e.byte, ": ", e.what());
  } catch (const Json::exception& e) {
    // Well-formed text the parser still cannot hold, such as a number beyond a double's range.
    CLAW_FAIL(source, ": unreadable JSON: ", e.what());
  }
}

Json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  CLAW_CHECK(in.good(), path.string(), ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_json(text.str(), path.string());
}

}  // namespace claw

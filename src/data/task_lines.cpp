#include "data/task_lines.h"

#include "core/text_file.h"

namespace claw::data {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::vector<NumberedLine> nonblank_lines(std::string_view text) {
  std::vector<NumberedLine> numbered;
  const std::vector<std::string_view> lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!strip(lines[i]).empty()) numbered.push_back({static_cast<std::int64_t>(i + 1), lines[i]});
  }
  return numbered;
}

}  // namespace claw::data

// Whole text files and the whitespace trimming every dataset reader needs.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace claw {

// The file's bytes; an error naming the path when it is missing or unreadable.
std::string read_text_file(const std::filesystem::path& path);

// `text` without leading and trailing ASCII whitespace (what Python's str.strip() removes from
// the ASCII texts of the evaluation sets).
std::string_view strip(std::string_view text);
// `text` without trailing ASCII whitespace (Python's str.rstrip()).
std::string_view rstrip(std::string_view text);

}  // namespace claw

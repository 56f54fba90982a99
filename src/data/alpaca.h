// Stanford Alpaca instruction records and the standard Alpaca prompt template.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace claw::data {

struct AlpacaRecord {
  std::string instruction, input, output;
};

// A JSON array of {"instruction", "input", "output"} objects ("input" may be empty or absent).
std::vector<AlpacaRecord> read_alpaca(const std::filesystem::path& path);

// The template's prompt, ending with "### Response:\n"; the response (record.output) follows it.
std::string alpaca_prompt(const AlpacaRecord& record);

}  // namespace claw::data

#include "data/alpaca.h"

#include "core/error.h"
#include "core/json.h"

namespace claw::data {

std::vector<AlpacaRecord> read_alpaca(const std::filesystem::path& path) {
  const std::string source = path.string();
  const Json records = read_json_file(path);
  CLAW_CHECK(records.is_array(), source, ": expected a JSON array of Alpaca records");
  std::vector<AlpacaRecord> result;
  result.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string where = concat(source, " record ", i);
    result.push_back({json_required<std::string>(records[i], "instruction", where),
                      json_optional<std::string>(records[i], "input", "", where),
                      json_required<std::string>(records[i], "output", where)});
  }
  return result;
}

std::string alpaca_prompt(const AlpacaRecord& record) {
  if (record.input.empty()) {
    return "Below is an instruction that describes a task. Write a response that appropriately "
           "completes the request.\n\n### Instruction:\n" +
           record.instruction + "\n\n### Response:\n";
  }
  return "Below is an instruction that describes a task, paired with an input that provides "
         "further context. Write a response that appropriately completes the request.\n\n"
         "### Instruction:\n" +
         record.instruction + "\n\n### Input:\n" + record.input + "\n\n### Response:\n";
}

}  // namespace claw::data

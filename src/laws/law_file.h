// LAW.json: the laws `claw fit` found, one per group of --by, with what they were fitted on, so
// that `claw predict` and `claw critical` can use them later.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "laws/compression_law.h"

namespace claw::laws {

struct GroupLaw {
  std::string group;  // the value of --by for this group; "" without --by
  CompressionLaw law;
  std::vector<double> base_values;  // the distinct L0 it was fitted on
};

// The law of `group`; the only one when `group` is empty and there is one. Errors list the
// groups the file has.
const GroupLaw& choose_law(const std::vector<GroupLaw>& laws, const std::string& group,
                           const std::string& source);

// Reads the "laws" of a file `claw fit --out` wrote.
std::vector<GroupLaw> read_law_file(const std::filesystem::path& path);

// One entry of "laws".
Json group_law_json(const GroupLaw& law);

}  // namespace claw::laws

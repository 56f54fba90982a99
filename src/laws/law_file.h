// LAW.json: the laws `claw fit` chose, one per group of --by, so that `claw predict` and
// `claw critical` can use them later. Beside each law the file keeps how every candidate
// predicted; only the chosen law is read back.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "laws/law_fit.h"

namespace claw::laws {

struct GroupLaw {
  std::string group;  // the value of --by for this group; "" without --by
  FittedLaw law;
};

// The law of `group`; the only one when `group` is empty and there is one. Errors list the
// groups the file has.
const GroupLaw& choose_law(const std::vector<GroupLaw>& laws, const std::string& group,
                           const std::string& source);

// Reads the "laws" of a file `claw fit --out` wrote; an entry without a chosen law is skipped.
std::vector<GroupLaw> read_law_file(const std::filesystem::path& path);

}  // namespace claw::laws

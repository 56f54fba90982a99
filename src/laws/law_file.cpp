#include "laws/law_file.h"

#include "core/error.h"
#include "core/format.h"
#include "core/json.h"

namespace claw::laws {

const GroupLaw& choose_law(const std::vector<GroupLaw>& laws, const std::string& group,
                           const std::string& source) {
  for (const GroupLaw& l : laws) {
    if (l.group == group || (group.empty() && laws.size() == 1)) return l;
  }
  const std::string names = join(laws, [](const GroupLaw& l) { return concat("'", l.group, "'"); });
  CLAW_CHECK(!group.empty(), source, " has a law per group (", names, "); choose one with --group");
  CLAW_FAIL(source, " has no law for the group '", group, "'; it has ", names);
}

std::vector<GroupLaw> read_law_file(const std::filesystem::path& path) {
  const std::string source = path.string();
  const Json file = read_json_file(path);
  CLAW_CHECK(
      file.is_object() && file.contains("laws") && file["laws"].is_array() && !file["laws"].empty(),
      source, ": not a law file (claw fit --out writes them): expected a list 'laws'");
  std::vector<GroupLaw> laws;
  for (const Json& entry : file["laws"]) {
    const std::string group = json_required<std::string>(entry, "group", source);
    if (!entry.contains("law") || entry["law"].is_null()) continue;
    laws.push_back({group, FittedLaw::from_json(entry["law"], source)});
  }
  CLAW_CHECK(!laws.empty(), source, ": no group of the file has a law (see its 'reason')");
  return laws;
}

}  // namespace claw::laws

#include "cli/option_flags.h"

#include <algorithm>

#include "core/error.h"
#include "core/format.h"

namespace claw::cli {

void OptionFlags::add(CLI::App& command, const std::string& owner, const OptionTable& table) {
  for (const OptionSpec& spec : table.specs()) {
    const auto same = std::find_if(flags_.begin(), flags_.end(),
                                   [&](const auto& f) { return f->spec.name == spec.name; });
    if (same != flags_.end()) {
      Flag& flag = **same;
      CLAW_CHECK(flag.spec.kind == spec.kind, "option ", spec.name, " of ", owner, " is ",
                 option_kind_name(spec.kind), " but ", option_kind_name(flag.spec.kind), " for ",
                 join(flag.owners));
      flag.owners.push_back(owner);
      flag.option->description(concat(join(flag.owners), ": ", flag.spec.help));
      continue;
    }
    auto flag = std::make_unique<Flag>();
    flag->spec = spec;
    flag->owners = {owner};
    std::string help = owner.empty() ? spec.help : concat(owner, ": ", spec.help);
    if (spec.kind == OptionKind::kFlag) {
      flag->option = command.add_flag(flag_name(spec.name), flag->given, help);
    } else if (spec.kind == OptionKind::kTextList) {
      // As before: --targets q,v and --targets q --targets v alike.
      flag->option = command.add_option(flag_name(spec.name), flag->list, help)->delimiter(',');
      flag->option->default_str(OptionTable::value_text(spec.default_value))->type_name("A,B,...");
    } else {
      flag->option = command.add_option(flag_name(spec.name), flag->text, help);
      if (!spec.default_value.is_null() && OptionTable::value_text(spec.default_value) != "") {
        flag->option->default_str(OptionTable::value_text(spec.default_value));
      }
      const char* const type_names[] = {"INT", "FLOAT", "TEXT"};  // kInteger, kNumber, kText
      flag->option->type_name(type_names[static_cast<int>(spec.kind)]);
    }
    flags_.push_back(std::move(flag));
  }
}

Json OptionFlags::values_for(const std::string& owner, const OptionTable& table) const {
  Json values = Json::object();
  for (const auto& flag : flags_) {
    if (flag->option->count() == 0) continue;
    if (table.find(flag->spec.name) == nullptr) {
      throw Error(concat(flag_name(flag->spec.name), " belongs to ", join(flag->owners),
                         ", not to ", owner));
    }
    switch (flag->spec.kind) {
      case OptionKind::kFlag:
        values[flag->spec.name] = flag->given;
        break;  // --full=false too
      case OptionKind::kTextList:
        values[flag->spec.name] = flag->list;
        break;
      default:
        values[flag->spec.name] = OptionTable::parse_value(flag->spec, flag->text);
    }
  }
  return values;
}

}  // namespace claw::cli

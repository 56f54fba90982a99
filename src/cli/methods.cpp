// claw methods: the registered compression methods with their families, ratios and options,
// as text or as the Markdown tables the docs carry (a test keeps the docs equal to them).
#include <cctype>
#include <cstdio>

#include "cli/command.h"
#include "compress/method_registry.h"
#include "core/format.h"
#include "core/option_table.h"

namespace claw::cli {
namespace {

std::string default_text(const OptionSpec& spec) {
  if (spec.default_value.is_null()) return spec.optional ? "derived" : "required";
  const std::string text = OptionTable::value_text(spec.default_value);
  return text.empty() ? "\"\"" : text;
}

// One method as a Markdown block: a line each for family and ratio, then its options.
std::string markdown(const compress::MethodInfo& m) {
  std::string summary = m.summary;
  summary.front() = static_cast<char>(std::toupper(static_cast<unsigned char>(summary.front())));
  std::string out =
      concat("#### `", m.name, "`\n\n", summary, ".\n\n- family: ", compress::family_name(m.family),
             "\n- r: ", m.ratio_meaning, "\n\n");
  if (m.options.specs().empty()) return out + "No options.\n";
  out += "| study key | flag | type | default | meaning |\n|---|---|---|---|---|\n";
  for (const OptionSpec& spec : m.options.specs()) {
    out += concat("| ", spec.recorded ? "`" + spec.name + "`" : "(command line only)", " | `",
                  flag_name(spec.name), "` | ", option_kind_label(spec.kind), " | ",
                  default_text(spec), " | ", spec.help, " |\n");
  }
  return out;
}

void print(bool as_markdown) {
  for (const compress::MethodInfo& m : compress::registered_methods()) {
    if (as_markdown) {
      std::printf("%s\n", markdown(m).c_str());
      continue;
    }
    std::printf("%s (%s): %s\n  r: %s\n", m.name.c_str(), compress::family_name(m.family).c_str(),
                m.summary.c_str(), m.ratio_meaning.c_str());
    for (const OptionSpec& spec : m.options.specs()) {
      std::printf("  %-22s %-8s %-10s %s\n", flag_name(spec.name).c_str(),
                  option_kind_label(spec.kind).c_str(), default_text(spec).c_str(),
                  spec.help.c_str());
    }
  }
}

}  // namespace

void register_methods(CLI::App& app) {
  auto as_markdown = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "methods", "List the compression methods: family, what r means, options and defaults");
  cmd->add_flag("--markdown", *as_markdown, "print the tables docs/compression.md holds");
  cmd->callback([as_markdown] { print(*as_markdown); });
}

}  // namespace claw::cli

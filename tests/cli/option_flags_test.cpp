// Flags made from option declarations: lists split at commas or repeated, flags that can be
// turned off, a flag of another owner refused with the owners named.
#include <gtest/gtest.h>

#include "cli/option_flags.h"
#include "support/test_support.h"

namespace claw::cli {
namespace {

const OptionTable& recovery_like() {
  static const OptionTable t({
      {.name = "targets",
       .kind = OptionKind::kTextList,
       .default_value = Json{"q", "v"},
       .help = "t"},
      {.name = "full", .kind = OptionKind::kFlag, .default_value = false, .help = "f"},
      {.name = "lr", .kind = OptionKind::kNumber, .default_value = 0.1, .help = "lr"},
  });
  return t;
}

Json parse(std::vector<std::string> args) {
  CLI::App app;
  OptionFlags flags;
  flags.add(app, "", recovery_like());
  flags.add(app, "other", OptionTable({{.name = "calib", .kind = OptionKind::kText, .help = "c"}}));
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  app.parse(args);
  return flags.values_for("recover", recovery_like());
}

TEST(OptionFlags, ParsesListsFlagsAndNumbersAsDeclared) {
  EXPECT_EQ(parse({"--targets", "q,k", "--lr", "1e-3"}),
            (Json{{"targets", {"q", "k"}}, {"lr", 1e-3}}));
  EXPECT_EQ(parse({"--targets", "q", "--targets", "down"}), (Json{{"targets", {"q", "down"}}}));
  EXPECT_EQ(parse({"--full"}), (Json{{"full", true}}));
  EXPECT_EQ(parse({"--full=false"}), (Json{{"full", false}}));
  EXPECT_EQ(parse({}), Json::object());
  testing::expect_error_containing(
      [] {
        parse({"--calib", "x"});
      },
      "--calib belongs to other, not to recover");
  EXPECT_THROW(parse({"--lr", "fast"}), OptionError);
}

}  // namespace
}  // namespace claw::cli

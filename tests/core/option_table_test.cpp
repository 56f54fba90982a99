// OptionTable: defaults filled in, values checked for type, range and choices with the field
// named, the recorded subset, and command-line text parsed by kind.
#include <gtest/gtest.h>

#include "core/option_table.h"

namespace claw {
namespace {

OptionTable table() {
  return OptionTable({
      {.name = "rank",
       .kind = OptionKind::kInteger,
       .default_value = 8,
       .help = "rank",
       .minimum = 1},
      {.name = "dropout",
       .kind = OptionKind::kNumber,
       .default_value = 0.05,
       .help = "dropout",
       .minimum = 0,
       .maximum = 1,
       .maximum_excluded = true},
      {.name = "mode",
       .kind = OptionKind::kText,
       .default_value = "pca",
       .help = "mode",
       .choices = {"pca", "random"}},
      {.name = "data", .kind = OptionKind::kText, .help = "data"},
      {.name = "held_out", .kind = OptionKind::kText, .help = "held out", .optional = true},
      {.name = "where",
       .kind = OptionKind::kText,
       .default_value = "",
       .help = "where",
       .recorded = false},
  });
}

// The OptionError `values` raise, as "field: problem".
std::string error_of(const Json& values) {
  try {
    table().complete(values);
  } catch (const OptionError& e) {
    return e.field() + ": " + e.problem();
  }
  return "";
}

TEST(OptionTable, FillsDefaultsAndRecordsOnlyRecordedOptions) {
  const Json values = table().complete({{"data", "x"}});
  EXPECT_EQ(values["rank"], 8);
  EXPECT_EQ(values["mode"], "pca");
  EXPECT_TRUE(values["held_out"].is_null());  // optional: the library derives it
  EXPECT_EQ(
      table().recorded(values),
      (Json{
          {"rank", 8}, {"dropout", 0.05}, {"mode", "pca"}, {"data", "x"}, {"held_out", nullptr}}));
  EXPECT_EQ(flag_name("held_out"), "--held-out");
}

TEST(OptionTable, NamesTheFieldOfEveryBadValue) {
  EXPECT_EQ(error_of(Json::object()), "data: must be given: data");
  EXPECT_EQ(error_of({{"data", "x"}, {"rank", 0}}), "rank: must be at least 1, not 0");
  EXPECT_EQ(error_of({{"data", "x"}, {"rank", 2.5}}), "rank: must be an integer, not 2.5");
  EXPECT_EQ(error_of({{"data", "x"}, {"dropout", 1.0}}), "dropout: must be below 1, not 1");
  EXPECT_EQ(error_of({{"data", "x"}, {"mode", "svd"}}),
            "mode: must be one of pca, random, not 'svd'");
  EXPECT_EQ(error_of({{"data", "x"}, {"rnak", 3}}).rfind("rnak: is not an option here", 0), 0u);
  EXPECT_THROW(OptionTable({{.name = "a", .kind = OptionKind::kInteger, .default_value = 1},
                            {.name = "a", .kind = OptionKind::kInteger, .default_value = 1}}),
               Error);
}

TEST(OptionTable, ParsesCommandLineTextByKind) {
  const OptionTable t = table();
  EXPECT_EQ(OptionTable::parse_value(*t.find("rank"), "-3"), -3);
  EXPECT_EQ(OptionTable::parse_value(*t.find("dropout"), "1e-3"), 1e-3);
  EXPECT_THROW(OptionTable::parse_value(*t.find("rank"), "3.0"), OptionError);
  EXPECT_THROW(OptionTable::parse_value(*t.find("rank"), ""), OptionError);
  const OptionSpec list{.name = "targets", .kind = OptionKind::kTextList};
  EXPECT_EQ(OptionTable::parse_value(list, "q,v,,down"), (Json{"q", "v", "down"}));
}

}  // namespace
}  // namespace claw

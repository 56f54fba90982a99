// OptionTable: defaults filled in, values checked for type, range and choices with the field
// named, the recorded subset, and command-line text parsed by kind.
#include <gtest/gtest.h>

#include "core/option_binding.h"
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

// The OptionError `values` raise in `t`, as "field: problem".
std::string error_of_complete(const OptionTable& t, const Json& values) {
  try {
    t.complete(values);
  } catch (const OptionError& e) {
    return e.field() + ": " + e.problem();
  }
  return "";
}

std::string error_of(const Json& values) {
  return error_of_complete(table(), values);
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

// An option added once stores existed stays out of keys at its default, so they resume.
TEST(OptionTable, KeysLeaveOutLaterOptionsAtTheirDefault) {
  const OptionTable t(
      {{.name = "rank", .kind = OptionKind::kInteger, .default_value = 8},
       {.name = "added",
        .kind = OptionKind::kNumber,
        .default_value = 0.5,
        .keyed_at_default = false},
       {.name = "out", .kind = OptionKind::kText, .default_value = "", .recorded = false}});
  const Json at_default = t.complete(Json::object());
  EXPECT_EQ(t.recorded(at_default), (Json{{"rank", 8}, {"added", 0.5}}));
  EXPECT_EQ(t.keyed(at_default), (Json{{"rank", 8}}));
  EXPECT_EQ(t.keyed(t.complete({{"added", 0.25}})), (Json{{"rank", 8}, {"added", 0.25}}));
}

// Options bound to the fields they fill: one row gives the table, the struct and the record.
struct BoundOptions {
  std::int64_t rank = 8;
  double scale = 0.5;
  std::optional<std::string> held_out;
  std::vector<std::string> targets = {"q", "v"};
  bool full = false;
  std::string where;
};

template <typename Visitor>
void visit_options(BoundOptions& o, Visitor&& row) {
  row(o.rank, {.name = "rank", .help = "rank", .minimum = 1});
  row(o.scale, {.name = "scale", .help = "scale", .minimum = 0, .minimum_excluded = true});
  row(o.held_out, {.name = "held_out", .help = "derived when unset"});
  row(o.targets, {.name = "targets", .help = "targets"});
  row(o.full, {.name = "full", .help = "all weights"});
  row(o.where, {.name = "where", .help = "a by-product", .recorded = false});
}

TEST(OptionBinding, OneRowGivesTheTableTheStructAndTheRecord) {
  const OptionTable t = bound_option_table<BoundOptions>();
  ASSERT_EQ(t.specs().size(), 6u);
  EXPECT_EQ(t.find("rank")->kind, OptionKind::kInteger);
  EXPECT_EQ(t.find("rank")->default_value, 8);
  EXPECT_EQ(t.find("scale")->kind, OptionKind::kNumber);
  EXPECT_TRUE(t.find("held_out")->optional);
  EXPECT_TRUE(t.find("held_out")->default_value.is_null());
  EXPECT_EQ(t.find("targets")->kind, OptionKind::kTextList);
  EXPECT_EQ(t.find("full")->kind, OptionKind::kFlag);
  EXPECT_EQ(t.find("where")->kind, OptionKind::kText);

  const BoundOptions o =
      bound_options_from<BoundOptions>(t.complete({{"rank", 4}, {"held_out", "x"}}));
  EXPECT_EQ(o.rank, 4);
  EXPECT_EQ(o.scale, 0.5);
  EXPECT_EQ(o.held_out, "x");
  EXPECT_EQ(o.targets, (std::vector<std::string>{"q", "v"}));
  EXPECT_EQ(bound_recorded_values(o), (Json{{"rank", 4},
                                            {"scale", 0.5},
                                            {"held_out", "x"},
                                            {"targets", {"q", "v"}},
                                            {"full", false}}));
  EXPECT_EQ(error_of_complete(t, {{"rank", 0}}), "rank: must be at least 1, not 0");
}

}  // namespace
}  // namespace claw

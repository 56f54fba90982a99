// The CSV reader on RFC 4180's cases and on broken input.
#include <gtest/gtest.h>

#include "core/csv.h"
#include "core/error.h"

namespace claw {
namespace {

TEST(Csv, ReadsQuotedFieldsAndBothLineEndings) {
  const CsvTable table =
      parse_csv("a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\n\n2,\"two\nlines\",\n", "t.csv");
  ASSERT_EQ(table.header, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"1", "x, y", "say \"hi\""}));
  EXPECT_EQ(table.rows[1], (std::vector<std::string>{"2", "two\nlines", ""}));
  EXPECT_EQ(table.lines, (std::vector<std::int64_t>{2, 4}));
  EXPECT_EQ(table.column("c", "t.csv"), 2u);
}

TEST(Csv, NamesTheLineOfWhatIsBroken) {
  auto fails_with = [](const std::string& text, const std::string& message) {
    try {
      parse_csv(text, "t.csv");
      ADD_FAILURE() << "accepted " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  fails_with("a,b\n1,2\n3\n", "t.csv:3: 1 fields where the header has 2");
  fails_with("a,b\n1,\"2\n", "t.csv:2: a quoted field is not closed");
  fails_with("", "t.csv: empty file");
  fails_with("a,b\n1,x\"y\"\n", "a quote inside an unquoted field");
  EXPECT_THROW(parse_csv("a\n1\n", "t.csv").column("b", "t.csv"), Error);
}

}  // namespace
}  // namespace claw

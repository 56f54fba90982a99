// Numbers for people, against hand-written expectations.
#include <gtest/gtest.h>

#include "core/format.h"

namespace claw {
namespace {

TEST(Format, GroupsThousands) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1234567), "1,234,567");
  EXPECT_EQ(with_commas(-494032768), "-494,032,768");
}

TEST(Format, GivesByteSizesInDecimalUnits) {
  EXPECT_EQ(byte_size(0), "0 B");
  EXPECT_EQ(byte_size(999), "999 B");
  EXPECT_EQ(byte_size(1536), "1.54 kB");
  EXPECT_EQ(byte_size(988065792), "988 MB");
  EXPECT_EQ(byte_size(24582600000), "24.6 GB");
  EXPECT_EQ(byte_size(33792100000000), "33.8 TB");
}

}  // namespace
}  // namespace claw

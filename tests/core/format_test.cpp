// Numbers for people, against hand-written expectations.
#include <gtest/gtest.h>

#include <cmath>

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
TEST(Format, SignificantDigitsAndMissingValues) {
  EXPECT_EQ(significant(0.123456), "0.1235");
  EXPECT_EQ(significant(1234567.0, 3), "1.23e+06");
  EXPECT_EQ(significant(28.3333, 3), "28.3");
  EXPECT_EQ(significant(NAN), "–");
  EXPECT_EQ(significant(INFINITY), "∞");
  EXPECT_EQ(significant(-INFINITY), "−∞");
  EXPECT_EQ(table_number(3.1), "3.100");
  EXPECT_EQ(table_number(0.5), "0.5000");
  EXPECT_EQ(table_number(100, 3), "100");
  EXPECT_EQ(table_number(2e6), "2.000e+06");
  EXPECT_EQ(table_number(NAN), "–");
}

TEST(Format, MeasurementRoundsTheValueToItsError) {
  EXPECT_EQ(measurement(1.23984, 0.0221), "1.240 ± 0.022");
  EXPECT_EQ(measurement(2.93913, 0.0973), "2.939 ± 0.097");
  EXPECT_EQ(measurement(1234.567, 53.2), "1235 ± 53");
  EXPECT_EQ(measurement(0.45, std::nullopt), "0.4500");
  EXPECT_EQ(measurement(0.45, 0.0), "0.4500");
}

}  // namespace claw

// claw methods: every registered method is listed, and the option tables in
// docs/compression.md are exactly what the declarations print, so the docs cannot drift.
#include <gtest/gtest.h>

#include "compress/method_registry.h"
#include "support/test_support.h"

namespace claw {
namespace {

TEST(Methods, ListsEveryRegisteredMethod) {
  const testing::CommandResult result = testing::run_claw("methods");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const compress::MethodInfo& m : compress::registered_methods()) {
    EXPECT_NE(result.out.find(m.name + " (" + compress::family_name(m.family) + ")"),
              std::string::npos)
        << m.name;
  }
}

TEST(Methods, DocsHoldTheDeclaredTables) {
  const testing::CommandResult result = testing::run_claw("methods --markdown");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string docs = testing::read_bytes(testing::fixture_path("../docs/compression.md"));
  std::size_t start = 0;
  while ((start = result.out.find("#### ", start)) != std::string::npos) {
    const std::size_t end = result.out.find("#### ", start + 1);
    const std::string block = result.out.substr(start, end - start);
    EXPECT_NE(docs.find(block.substr(0, block.find_last_not_of('\n') + 1)), std::string::npos)
        << "docs/compression.md lacks (paste `claw methods --markdown`):\n"
        << block;
    start = end;
  }
}

}  // namespace
}  // namespace claw

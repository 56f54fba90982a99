# Run after each test executable is built (tests/CMakeLists.txt): lists its GoogleTest cases and
# writes one ctest test per test suite, named LABEL.SUITE (a suite name may recur in two
# executables) and labelled LABEL. One process per suite pays LibTorch's start-up (about a
# second) once per suite instead of once per case, and still gives ctest tests that -R can pick
# and -j can spread; gtest's own output, which ctest shows on failure, names each failing case.
#
# In: EXECUTABLE, LABEL, OUTPUT (the ctest file to write).
execute_process(COMMAND "${EXECUTABLE}" --gtest_list_tests
  OUTPUT_VARIABLE listing ERROR_VARIABLE errors RESULT_VARIABLE status TIMEOUT 60)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${EXECUTABLE} --gtest_list_tests failed (${status}): ${errors}")
endif()

set(script "")
set(suite "")
set(total_cases 0)
string(REPLACE "\n" ";" lines "${listing}")
foreach(line IN LISTS lines)
  if(line MATCHES "^([^ #][^ ]*)\\.")
    set(suite "${CMAKE_MATCH_1}")
    string(APPEND script
      "add_test([==[${LABEL}.${suite}]==] [==[${EXECUTABLE}]==] [==[--gtest_filter=${suite}.*]==])\n"
      "set_tests_properties([==[${LABEL}.${suite}]==] PROPERTIES LABELS ${LABEL})\n")
  elseif(line MATCHES "^  [^ ]" AND NOT suite STREQUAL "")
    math(EXPR total_cases "${total_cases} + 1")
  endif()
endforeach()
if(total_cases EQUAL 0)
  message(FATAL_ERROR "${EXECUTABLE} lists no test cases")
endif()
file(WRITE "${OUTPUT}" "# ${total_cases} cases of ${EXECUTABLE}, one ctest test per suite\n${script}")

#include "cli/run_main.h"

#include <c10/util/Exception.h>

#include <cstdio>
#include <exception>

#include "core/error.h"
#include "core/option_table.h"

namespace claw::cli {
namespace {

// The message, and where in the source it was raised when that is known.
void print_error(const char* program, const std::string& message, const std::string& where) {
  if (where.empty()) {
    std::fprintf(stderr, "%s: %s\n", program, message.c_str());
  } else {
    std::fprintf(stderr, "%s: %s [%s]\n", program, message.c_str(), where.c_str());
  }
}

}  // namespace

int run_main(const char* program, CLI::App& app, int argc, char** argv,
             const std::function<void()>& run) {
  try {
    app.parse(argc, argv);
    if (run) run();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const claw::OptionError& e) {
    // The library names the field; on the command line it is a flag.
    print_error(program, claw::concat(claw::flag_name(e.field()), " ", e.problem()), e.where());
    return 1;
  } catch (const claw::Error& e) {
    print_error(program, e.what(), e.where());
    return 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "%s: LibTorch error: %s\n", program, e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
  return 0;
}

}  // namespace claw::cli

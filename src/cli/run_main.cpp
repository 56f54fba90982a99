#include "cli/run_main.h"

#include <c10/util/Exception.h>

#include <cstdio>
#include <exception>

#include "core/error.h"

namespace claw::cli {

int run_main(const char* program, CLI::App& app, int argc, char** argv,
             const std::function<void()>& run) {
  try {
    app.parse(argc, argv);
    if (run) run();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const claw::Error& e) {
    std::fprintf(stderr, "%s: %s [%s]\n", program, e.what(), e.where().c_str());
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

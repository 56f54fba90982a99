// claw: compression laws for LLMs. One executable; each subcommand lives in its own file.
#include <c10/util/Exception.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "cli/command.h"
#include "core/allocator.h"
#include "core/data_dir.h"
#include "core/error.h"
#include "core/log.h"

int main(int argc, char** argv) {
  claw::keep_freed_memory();
  CLI::App app{"claw " CLAW_VERSION
               ": compress LLMs, recover them, measure them, and fit compression laws"};
  app.require_subcommand(1);
  bool quiet = false, verbose = false;
  std::string data_dir;
  app.add_flag("-q,--quiet", quiet, "hide progress and informational messages");
  app.add_flag("-v,--verbose", verbose, "show debugging detail");
  app.add_option("--data-dir", data_dir, "where datasets and bundled models are found");
  app.set_version_flag("--version", "claw " CLAW_VERSION);
  claw::cli::register_bench(app);
  claw::cli::register_compress(app);
  claw::cli::register_convert(app);
  claw::cli::register_eval(app);
  claw::cli::register_fit(app);
  claw::cli::register_generate(app);
  claw::cli::register_info(app);
  claw::cli::register_init(app);
  claw::cli::register_law_queries(app);
  claw::cli::register_merge(app);
  claw::cli::register_recover(app);
  claw::cli::register_report(app);
  claw::cli::register_study(app);
  claw::cli::register_tokenize(app);
  app.parse_complete_callback([&] {
    claw::log::set_level(quiet     ? claw::log::Level::kQuiet
                         : verbose ? claw::log::Level::kDebug
                                   : claw::log::Level::kInfo);
    if (!data_dir.empty()) claw::set_data_dir_override(data_dir);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const claw::Error& e) {
    std::fprintf(stderr, "claw: %s [%s]\n", e.what(), e.where().c_str());
    return 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "claw: LibTorch error: %s\n", e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "claw: %s\n", e.what());
    return 1;
  }
  return 0;
}

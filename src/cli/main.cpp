// claw: compression laws for LLMs. One executable; each subcommand registers itself from its file
// in src/cli (predict/critical and merge/report share one).
#include <CLI/CLI.hpp>

#include <string>

#include "cli/command.h"
#include "cli/run_main.h"
#include "core/allocator.h"
#include "core/data_dir.h"
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
  claw::cli::register_export(app);
  claw::cli::register_fit(app);
  claw::cli::register_generate(app);
  claw::cli::register_info(app);
  claw::cli::register_init(app);
  claw::cli::register_law_queries(app);
  claw::cli::register_merge(app);
  claw::cli::register_methods(app);
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

  return claw::cli::run_main("claw", app, argc, argv);
}

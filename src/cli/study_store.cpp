// claw merge and claw report: the commands that work on a study's store after its sweep.
#include <filesystem>

#include "cli/command.h"
#include "core/error.h"
#include "core/log.h"
#include "study/report.h"
#include "study/store.h"
#include "study/study_directory.h"

namespace claw::cli {
namespace fs = std::filesystem;

void register_merge(CLI::App& app) {
  auto into = std::make_shared<std::string>();
  auto from = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "merge", "Join the stores of a study's shards: every experiment and failure, once");
  cmd->add_option("into", *into, "store to merge into (created when absent)")->required();
  cmd->add_option("stores", *from, "stores to merge from")->required();
  cmd->callback([into, from] {
    for (const std::string& path : *from) {
      CLAW_CHECK(fs::exists(path), path, ": no such store");
      CLAW_CHECK(study::is_sqlite_file(path), path, ": not a claw results store (SQLite)");
    }
    study::Store store(*into);
    for (const std::string& path : *from) {
      const std::int64_t added = store.merge_from(path);
      log::info("merged ", path, ": ", added, " new experiments");
    }
    std::printf("%zu experiments in %s\n", store.finished_keys().size(), into->c_str());
  });
}

void register_report(CLI::App& app) {
  auto store_path = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write a study's report: Markdown and HTML with tables, law fits and plots");
  cmd->add_option("store", *store_path, "the study's store (study.sqlite)")->required();
  cmd->add_option("--out", *output, "report directory (default: report/ beside the store)");
  cmd->callback([store_path, output] {
    CLAW_CHECK(fs::exists(*store_path), *store_path, ": no such store");
    const study::Store store(*store_path);
    const fs::path directory =
        output->empty() ? study::StudyDirectory(fs::path(*store_path).parent_path()).report()
                        : fs::path(*output);
    const fs::path report = study::write_report(store, directory);
    std::printf("report: %s (and report.html, plots, laws.json)\n", report.c_str());
  });
}

}  // namespace claw::cli

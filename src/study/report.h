// `claw report`: a study's store as a Markdown and an HTML report with gnuplot plots — the
// metrics against r per method with the fitted laws, the recovery gain against D, observed
// against predicted, the critical ratios and the speedups — every number with its protocol.
#pragma once

#include <filesystem>

#include "study/store.h"

namespace claw::study {

// Writes report.md, report.html, the plots (PNG, SVG, with their data and gnuplot scripts) and
// laws.json as `directory`, which is replaced whole and at once (an existing directory must be
// empty or an earlier report); returns the Markdown file's path.
std::filesystem::path write_report(const Store& store, const std::filesystem::path& directory);

}  // namespace claw::study

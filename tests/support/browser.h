// A page as a reader sees it: rendered by Debian's Chromium, headless (scripts/setup.sh installs
// it), so that a test can check layout from the rendered DOM rather than from the HTML text.
#pragma once

#include <filesystem>
#include <string>

#include "core/json.h"

namespace claw::testing {

// Renders `page` in a window of width × height CSS pixels and returns what `probe` measured:
// `probe` is JavaScript that runs at the page's load event (images loaded) and leaves its result
// as JSON text in an element with id "claw-probe". The page is copied beside itself with the
// probe added, so that its relative images load; the copy is removed afterwards. An error names
// what failed: no Chromium, a page that did not render, a probe that left no result.
Json probe_in_browser(const std::filesystem::path& page, const std::string& probe, int width,
                      int height);

}  // namespace claw::testing

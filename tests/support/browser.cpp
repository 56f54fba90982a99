#include "support/browser.h"

#include "core/error.h"
#include "core/subprocess.h"
#include "support/test_support.h"

namespace claw::testing {
namespace fs = std::filesystem;

namespace {

// The text of an element's content as --dump-dom writes it, with its three escapes undone.
std::string unescape_text(std::string text) {
  const std::pair<const char*, const char*> escapes[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}};
  for (const auto& [from, to] : escapes) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + 1)) {
      text.replace(at, std::string(from).size(), to);
    }
  }
  return text;
}

}  // namespace

Json probe_in_browser(const fs::path& page, const std::string& probe, int width, int height) {
  CLAW_CHECK(on_path("chromium"),
             "chromium was not found; bash scripts/setup.sh installs Debian's chromium");
  std::string html = read_bytes(page);
  const std::size_t body_end = html.rfind("</body>");
  CLAW_CHECK(body_end != std::string::npos, page.string(), " has no </body>");
  html.insert(body_end, "<script>\n" + probe + "\n</script>\n");
  const fs::path probed = page.parent_path() / (".probe-" + page.filename().string());
  write_bytes(probed, html);
  const ScratchDir profile;
  // --virtual-time-budget lets the page load (images too) before the DOM is written out; the
  // sandbox needs user namespaces that containers and root do not have. Chromium's complaints
  // about the missing desktop session go to stderr, which is dropped to keep the DOM whole.
  const CommandOutput rendered = run_command(
      {"sh", "-c",
       "chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir=" +
           shell_quote(profile.path().string()) + " --window-size=" + std::to_string(width) + "," +
           std::to_string(height) + " --virtual-time-budget=10000 --dump-dom " +
           shell_quote("file://" + fs::absolute(probed).string()) + " 2>/dev/null"});
  fs::remove(probed);
  CLAW_CHECK(rendered.exit_code == 0, "chromium failed with exit code ", rendered.exit_code);
  const std::string open = "<pre id=\"claw-probe\">";
  const std::size_t start = rendered.out.find(open);
  const std::size_t end = rendered.out.find("</pre>", start);
  CLAW_CHECK(start != std::string::npos && end != std::string::npos,
             "the probe left no <pre id=\"claw-probe\"> in the rendered page");
  return Json::parse(
      unescape_text(rendered.out.substr(start + open.size(), end - start - open.size())));
}

}  // namespace claw::testing

// The report's building blocks: one document rendered as Markdown and HTML with what each
// format must escape, and plots that appear whole or not at all.
#include <gtest/gtest.h>

#include "study/plot.h"
#include "study/report_document.h"
#include "support/test_support.h"

namespace claw::study {
namespace {

namespace fs = std::filesystem;

TEST(ReportDocument, RendersTheSameBlocksAsMarkdownAndHtml) {
  ReportDocument doc;
  doc.heading(2, "Laws");
  doc.paragraph("a < b & c");
  doc.paragraph("**chosen**: `L = L0 (1+r)^beta`, 2 * 3 and a lone ` stay");
  doc.table({"metric", "value"}, {{"loss|x", "1.5"}});
  doc.figure({"p.png", "p.svg", "loss \"against\" r", "Lower is better."});
  const std::string md = doc.markdown();
  EXPECT_NE(md.find("## Laws\n"), std::string::npos);
  EXPECT_NE(md.find("|metric|value|\n|---|--:|\n|loss\\|x|1.5|\n"), std::string::npos) << md;
  EXPECT_NE(md.find("![](p.png)\n*Lower is better.*"), std::string::npos) << md;
  const std::string html = doc.html("T <1>");
  EXPECT_NE(html.find("<title>T &lt;1&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("<h1>T &lt;1&gt;</h1>"), std::string::npos);
  EXPECT_NE(html.find("<h2 id=\"laws\">Laws</h2>"), std::string::npos);
  EXPECT_NE(html.find("<p>a &lt; b &amp; c</p>"), std::string::npos);
  EXPECT_NE(html.find("<p><strong>chosen</strong>: <code>L = L0 (1+r)^beta</code>, 2 * 3 and a "
                      "lone ` stay</p>"),
            std::string::npos)
      << html;
  EXPECT_NE(md.find("**chosen**: `L = L0 (1+r)^beta`, 2 * 3"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"scroll\"><table>"), std::string::npos);
  EXPECT_NE(html.find("<td>loss|x</td><td class=\"n\">1.5</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("alt=\"loss &quot;against&quot; r\""), std::string::npos);
  EXPECT_NE(html.find("<figcaption>Lower is better. (<a href=\"p.svg\">SVG</a>)"),
            std::string::npos);
}

TEST(ReportDocument, AlignsNumbersRightAndTextLeft) {
  ReportDocument doc;
  doc.table({"method", "r*", "interval", "why"},
            {{"random", "0.0713", "[0.0388, 0.105]", "≥ 1 [0.905, ≥ 1]"},
             {"slicegpt", "–", "–", "not reached"},
             {"prunenet", "1.5e-05", "-4.07%", "1.52× ± 0.3"}});
  EXPECT_NE(doc.markdown().find("|---|--:|--:|---|"), std::string::npos) << doc.markdown();
}

TEST(ReportDocument, LinksHeadingsFromTheContentsAndFromText) {
  ReportDocument doc;
  doc.heading(2, "Summary");
  doc.list({"see [the laws](#compression-laws), an interval [0.1, 0.2] (not a link)"});
  doc.contents();
  doc.heading(2, "Compression laws");
  doc.heading(3, "loss, all methods");
  doc.heading(2, "The paper's findings, here");
  EXPECT_EQ(ReportDocument::anchor("The paper's findings, here"), "the-papers-findings-here");
  EXPECT_EQ(ReportDocument::anchor("loss/tinystories:test against r"),
            "losstinystoriestest-against-r");
  const std::string md = doc.markdown();
  EXPECT_NE(md.find("- [Compression laws](#compression-laws)\n- [The paper's findings, here]"
                    "(#the-papers-findings-here)\n\n"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("(#summary)"), std::string::npos) << "the contents list what follows them";
  const std::string html = doc.html("t");
  EXPECT_NE(html.find("<li>see <a href=\"#compression-laws\">the laws</a>, an interval [0.1, 0.2] "
                      "(not a link)</li>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<h2 id=\"compression-laws\">"), std::string::npos);
  EXPECT_NE(html.find("<nav>"), std::string::npos);
}

TEST(ReportDocument, PutsTheLeadBesideItsFigure) {
  ReportDocument doc;
  doc.lead({"**Laws**: v1"}, {"q.png", "q.svg", "quality", "Lower is better."});
  EXPECT_EQ(doc.markdown(), "- **Laws**: v1\n\n![](q.png)\n*Lower is better.*\n\n");
  const std::string html = doc.html("t");
  EXPECT_NE(html.find("<div class=\"lead\">\n<ul>\n<li><strong>Laws</strong>: v1</li>\n</ul>\n"
                      "<figure><img src=\"q.png\""),
            std::string::npos)
      << html;
}

TEST(Plot, WritesDataScriptAndImages) {
  claw::testing::ScratchDir dir;
  Plot plot{"it's", "a title", "r", "loss"};
  plot.series.push_back({"measured", {{0.1, 2.0}, {0.5, 3.0}}, PlotSeries::kPoints});
  plot.series.push_back({"law", {{0.0, 1.8}, {0.9, 4.0}}, PlotSeries::kDashed});
  const bool drawn = render_plot(plot, dir.path());
  const std::string data = claw::testing::read_bytes(dir / "it's.dat");
  EXPECT_EQ(data, "# measured\n0.1 2\n0.5 3\n\n\n# law\n0 1.8\n0.9 4\n\n\n");
  const std::string script = claw::testing::read_bytes(dir / "it's.gp");
  EXPECT_NE(script.find("set output \"it's.png\""), std::string::npos) << script;
  EXPECT_NE(script.find("index 1 using 1:2 with lines lw 1.5 dt 2 title \"law\""),
            std::string::npos);
  EXPECT_EQ(drawn, gnuplot_available());
  if (drawn) {
    EXPECT_GT(fs::file_size(dir / "it's.png"), 1000u);
    EXPECT_NE(claw::testing::read_bytes(dir / "it's.svg").find("<svg"), std::string::npos);
  }
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    EXPECT_NE(entry.path().extension(), ".log");
  }
}

}  // namespace
}  // namespace claw::study

// A report as a list of blocks (headings, paragraphs, tables, figures), written once and
// rendered both as Markdown and as a standalone HTML page. Paragraphs and table cells may hold
// **strong** and `code` spans, which the HTML renders as tags.
#pragma once

#include <string>
#include <vector>

namespace claw::study {

class ReportDocument {
 public:
  void heading(int level, std::string text);
  void paragraph(std::string text);
  // `rows` hold as many cells as `header`.
  void table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows);
  // An image beside the report (relative path), with its caption; the SVG is linked too.
  void figure(std::string png, std::string svg, std::string caption);

  std::string markdown() const;
  std::string html(const std::string& title) const;

 private:
  struct Block {
    enum Kind { kHeading, kParagraph, kTable, kFigure } kind = kParagraph;
    int level = 0;
    std::string text{}, png{}, svg{};
    std::vector<std::string> header{};
    std::vector<std::vector<std::string>> rows{};
  };
  std::vector<Block> blocks_;
};

}  // namespace claw::study

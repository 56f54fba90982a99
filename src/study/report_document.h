// A report as a list of blocks (headings, paragraphs, lists, tables, figures, a table of
// contents), written once and rendered both as Markdown and as a standalone HTML page.
// Paragraphs, list items and table cells may hold **strong**, `code` and [links](#anchor), which
// the HTML renders as tags. A table's column is right-aligned when it holds only numbers, and
// left-aligned otherwise.
#pragma once

#include <string>
#include <vector>

namespace claw::study {

struct Figure {
  std::string png{}, svg{};  // beside the report (relative paths); the HTML links the SVG too
  std::string title{};       // what it shows: the image's alternative text
  std::string caption{};     // how to read it
};

class ReportDocument {
 public:
  // The anchor of a heading, as GitHub spells it for Markdown (lower case, spaces to '-', other
  // punctuation dropped) and as the HTML sets it, so "[…](#" + anchor(h) + ")" links to it in both.
  static std::string anchor(const std::string& heading);

  void heading(int level, std::string text);
  void paragraph(std::string text);
  void list(std::vector<std::string> items);
  // `rows` hold as many cells as `header`.
  void table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows);
  void figure(Figure figure);
  // The lead: a list of answers beside the figure that says most (in HTML side by side where the
  // page is wide enough; in Markdown the list, then the figure).
  void lead(std::vector<std::string> items, Figure figure);
  // A table of contents: links to the level-2 headings that follow.
  void contents();

  std::string markdown() const;
  // The page, with `title` as its <title> and first heading.
  std::string html(const std::string& title) const;

 private:
  struct Block {
    enum Kind { kHeading, kParagraph, kList, kTable, kFigure, kLead, kContents } kind = kParagraph;
    int level = 0;
    std::string text{};
    std::vector<std::string> header{};  // a table's header; a list's items
    std::vector<std::vector<std::string>> rows{};
    Figure figure{};
  };
  // The level-2 headings after block `from`, as list items that link to them.
  std::vector<std::string> contents_after(std::size_t from) const;

  std::vector<Block> blocks_;
};

}  // namespace claw::study

#include "study/report_document.h"

namespace claw::study {
namespace {

std::string escape_html(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Each pair of `marker` around some text becomes open…close; a marker without its pair stays.
std::string replace_pairs(const std::string& text, const std::string& marker,
                          const std::string& open, const std::string& close) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t start = text.find(marker, at);
    const std::size_t end =
        start == std::string::npos ? start : text.find(marker, start + marker.size());
    if (end == std::string::npos) return out + text.substr(at);
    out += text.substr(at, start - at) + open +
           text.substr(start + marker.size(), end - start - marker.size()) + close;
    at = end + marker.size();
  }
}

// Text for HTML: escaped, with the Markdown the report writes inline (**strong**, `code`) as tags.
std::string inline_html(const std::string& text) {
  return replace_pairs(replace_pairs(escape_html(text), "**", "<strong>", "</strong>"), "`",
                       "<code>", "</code>");
}

// A table cell for Markdown: pipes would end the cell.
std::string markdown_cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

}  // namespace

void ReportDocument::heading(int level, std::string text) {
  blocks_.push_back({Block::kHeading, level, std::move(text)});
}

void ReportDocument::paragraph(std::string text) {
  blocks_.push_back({Block::kParagraph, 0, std::move(text)});
}

void ReportDocument::table(std::vector<std::string> header,
                           std::vector<std::vector<std::string>> rows) {
  Block b{Block::kTable};
  b.header = std::move(header);
  b.rows = std::move(rows);
  blocks_.push_back(std::move(b));
}

void ReportDocument::figure(std::string png, std::string svg, std::string caption) {
  Block b{Block::kFigure, 0, std::move(caption)};
  b.png = std::move(png);
  b.svg = std::move(svg);
  blocks_.push_back(std::move(b));
}

std::string ReportDocument::markdown() const {
  std::string out;
  for (const Block& b : blocks_) {
    switch (b.kind) {
      case Block::kHeading:
        out += std::string(b.level, '#') + " " + b.text + "\n\n";
        break;
      case Block::kParagraph:
        out += b.text + "\n\n";
        break;
      case Block::kTable: {
        std::string rule;
        for (const std::string& h : b.header) {
          out += "| " + markdown_cell(h) + " ";
          rule += "|---";
        }
        out += "|\n" + rule + "|\n";
        for (const std::vector<std::string>& row : b.rows) {
          for (const std::string& cell : row) out += "| " + markdown_cell(cell) + " ";
          out += "|\n";
        }
        out += "\n";
        break;
      }
      case Block::kFigure:
        out += "![" + b.text + "](" + b.png + ")\n\n*" + b.text + "* ([SVG](" + b.svg + "))\n\n";
        break;
    }
  }
  return out;
}

std::string ReportDocument::html(const std::string& title) const {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
      escape_html(title) +
      "</title>\n<style>\nbody{font-family:sans-serif;max-width:70em;margin:2em auto;"
      "padding:0 1em;line-height:1.4}\ntable{border-collapse:collapse;margin:1em 0}\n"
      "td,th{border:1px solid #bbb;padding:.2em .6em;text-align:right}\n"
      "th{background:#eee}\nfigure{margin:1em 0}\nimg{max-width:100%}\n</style>\n</head>\n"
      "<body>\n";
  for (const Block& b : blocks_) {
    switch (b.kind) {
      case Block::kHeading: {
        const std::string tag = "h" + std::to_string(b.level);
        out += "<" + tag + ">" + escape_html(b.text) + "</" + tag + ">\n";
        break;
      }
      case Block::kParagraph:
        out += "<p>" + inline_html(b.text) + "</p>\n";
        break;
      case Block::kTable:
        out += "<table>\n<tr>";
        for (const std::string& h : b.header) out += "<th>" + escape_html(h) + "</th>";
        out += "</tr>\n";
        for (const std::vector<std::string>& row : b.rows) {
          out += "<tr>";
          for (const std::string& cell : row) out += "<td>" + inline_html(cell) + "</td>";
          out += "</tr>\n";
        }
        out += "</table>\n";
        break;
      case Block::kFigure:
        out += "<figure><img src=\"" + escape_html(b.png) + "\" alt=\"" + escape_html(b.text) +
               "\"><figcaption>" + escape_html(b.text) + " (<a href=\"" + escape_html(b.svg) +
               "\">SVG</a>)</figcaption></figure>\n";
        break;
    }
  }
  return out + "</body>\n</html>\n";
}

}  // namespace claw::study

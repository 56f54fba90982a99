#include "study/report_document.h"

#include <array>
#include <cctype>
#include <string_view>

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

// Each [text](#anchor) becomes a link; brackets without "(#" right after them (an interval's
// "[0.1, 0.2]") stay as they are.
std::string replace_links(const std::string& text) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t middle = text.find("](#", at);
    const std::size_t start = middle == std::string::npos ? middle : text.rfind('[', middle);
    const std::size_t end = middle == std::string::npos ? middle : text.find(')', middle);
    if (middle == std::string::npos) return out + text.substr(at);
    if (start == std::string::npos || start < at || end == std::string::npos) {
      out += text.substr(at, middle + 3 - at);
      at = middle + 3;
      continue;
    }
    out += text.substr(at, start - at) + "<a href=\"" + text.substr(middle + 2, end - middle - 2) +
           "\">" + text.substr(start + 1, middle - start - 1) + "</a>";
    at = end + 1;
  }
}

// Text for HTML: escaped, with the Markdown the report writes inline (**strong**, `code`,
// [links](#anchor)) as tags.
std::string inline_html(const std::string& text) {
  return replace_links(replace_pairs(
      replace_pairs(escape_html(text), "**", "<strong>", "</strong>"), "`", "<code>", "</code>"));
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

// Whether a cell reads as a number: digits with what the report writes around them (a sign, an
// exponent, %, ×, ±, an interval's brackets, ≥ 1, ∞), or the dash of a missing value.
bool is_number_cell(std::string_view cell) {
  static constexpr std::array<std::string_view, 7> kSymbols = {"±", "×", "≥", "≤", "∞", "–", "−"};
  bool digit = false;
  for (std::size_t i = 0; i < cell.size();) {
    const char c = cell[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
      ++i;
      continue;
    }
    if (std::string_view(".+-eE%x[], <>*").find(c) != std::string_view::npos) {
      ++i;
      continue;
    }
    bool symbol = false;
    for (const std::string_view s : kSymbols) {
      if (cell.substr(i, s.size()) == s) {
        i += s.size();
        symbol = true;
        break;
      }
    }
    if (!symbol) return false;
  }
  return digit || cell == "–" || cell == "-" || cell == "∞" || cell == "−∞";
}

// For each column, whether every non-empty cell of it is a number (and one is).
std::vector<bool> number_columns(const std::vector<std::string>& header,
                                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<bool> numbers(header.size(), true), any(header.size(), false);
  for (const std::vector<std::string>& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < header.size(); ++c) {
      if (row[c].empty()) continue;
      any[c] = true;
      numbers[c] = numbers[c] && is_number_cell(row[c]);
    }
  }
  for (std::size_t c = 0; c < header.size(); ++c) numbers[c] = numbers[c] && any[c];
  return numbers;
}

std::string markdown_list(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += "- " + item + "\n";
  return out + "\n";
}

// The title is drawn in the image and its file is named after it; the HTML gives it as the
// alternative text, the Markdown leaves it out to stay short.
std::string markdown_figure(const Figure& f) {
  return "![](" + f.png + ")\n*" + f.caption + "*\n\n";
}

std::string html_list(const std::vector<std::string>& items) {
  std::string out = "<ul>\n";
  for (const std::string& item : items) out += "<li>" + inline_html(item) + "</li>\n";
  return out + "</ul>\n";
}

std::string html_figure(const Figure& f) {
  return "<figure><img src=\"" + escape_html(f.png) + "\" alt=\"" + escape_html(f.title) +
         "\"><figcaption>" + inline_html(f.caption) + " (<a href=\"" + escape_html(f.svg) +
         "\">SVG</a>)</figcaption></figure>\n";
}

// Text left, numbers right in tabular figures; a wide table scrolls inside its box rather than
// widening the page; on paper, everything shows and sections do not break after their heading.
constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;max-width:92em;margin:1.2em auto;padding:0 1.5em;"
    "line-height:1.4;color:#222}\n"
    "h1{font-size:1.6em;margin:.2em 0 .4em}\nh2{border-bottom:1px solid #ccc;margin-top:1.8em}\n"
    ".scroll{overflow-x:auto;max-width:100%;margin:.6em 0}\n"
    "table{border-collapse:collapse;font-size:.92em}\n"
    "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}\n"
    "th{background:#f0f0f0}\ntd.n,th.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    "figure{margin:1em 0}\nimg{max-width:100%;height:auto}\n"
    ".lead{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.5em;"
    "align-items:start}\n.lead ul{margin:0;padding-left:1.2em}\n.lead li{margin-bottom:.35em}\n"
    ".lead figure{margin:0}\n@media (max-width:70em){.lead{grid-template-columns:1fr}}\n"
    "@media print{body{max-width:none;margin:0;font-size:10pt}.scroll{overflow:visible}"
    "h2,h3{break-after:avoid}figure,tr{break-inside:avoid}a{color:inherit}}\n";

}  // namespace

std::string ReportDocument::anchor(const std::string& heading) {
  std::string out;
  for (const char c : heading) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_') {
      out += static_cast<char>(std::tolower(u));
    } else if (c == ' ') {
      out += '-';
    }
  }
  return out;
}

void ReportDocument::heading(int level, std::string text) {
  blocks_.push_back({Block::kHeading, level, std::move(text)});
}

void ReportDocument::paragraph(std::string text) {
  blocks_.push_back({Block::kParagraph, 0, std::move(text)});
}

void ReportDocument::list(std::vector<std::string> items) {
  Block b{Block::kList};
  b.header = std::move(items);
  blocks_.push_back(std::move(b));
}

void ReportDocument::table(std::vector<std::string> header,
                           std::vector<std::vector<std::string>> rows) {
  Block b{Block::kTable};
  b.header = std::move(header);
  b.rows = std::move(rows);
  blocks_.push_back(std::move(b));
}

void ReportDocument::figure(Figure figure) {
  Block b{Block::kFigure};
  b.figure = std::move(figure);
  blocks_.push_back(std::move(b));
}

void ReportDocument::lead(std::vector<std::string> items, Figure figure) {
  Block b{Block::kLead};
  b.header = std::move(items);
  b.figure = std::move(figure);
  blocks_.push_back(std::move(b));
}

void ReportDocument::contents() {
  blocks_.push_back({Block::kContents});
}

std::vector<std::string> ReportDocument::contents_after(std::size_t from) const {
  std::vector<std::string> items;
  for (std::size_t i = from + 1; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    if (b.kind == Block::kHeading && b.level == 2) {
      items.push_back("[" + b.text + "](#" + anchor(b.text) + ")");
    }
  }
  return items;
}

std::string ReportDocument::markdown() const {
  std::string out;
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    switch (b.kind) {
      case Block::kHeading:
        out += std::string(b.level, '#') + " " + b.text + "\n\n";
        break;
      case Block::kParagraph:
        out += b.text + "\n\n";
        break;
      case Block::kList:
        out += markdown_list(b.header);
        break;
      case Block::kTable: {
        const std::vector<bool> numbers = number_columns(b.header, b.rows);
        std::string rule;
        // Cells without padding: tables are most of a report's bytes.
        for (std::size_t c = 0; c < b.header.size(); ++c) {
          out += "|" + markdown_cell(b.header[c]);
          rule += numbers[c] ? "|--:" : "|---";
        }
        out += "|\n" + rule + "|\n";
        for (const std::vector<std::string>& row : b.rows) {
          for (const std::string& cell : row) out += "|" + markdown_cell(cell);
          out += "|\n";
        }
        out += "\n";
        break;
      }
      case Block::kFigure:
        out += markdown_figure(b.figure);
        break;
      case Block::kLead:
        out += markdown_list(b.header) + markdown_figure(b.figure);
        break;
      case Block::kContents:
        out += markdown_list(contents_after(i));
        break;
    }
  }
  return out;
}

std::string ReportDocument::html(const std::string& title) const {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      escape_html(title) + "</title>\n<style>\n" + kStyle + "</style>\n</head>\n<body>\n<h1>" +
      escape_html(title) + "</h1>\n";
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    switch (b.kind) {
      case Block::kHeading: {
        const std::string tag = "h" + std::to_string(b.level);
        out += "<" + tag + " id=\"" + anchor(b.text) + "\">" + escape_html(b.text) + "</" + tag +
               ">\n";
        break;
      }
      case Block::kParagraph:
        out += "<p>" + inline_html(b.text) + "</p>\n";
        break;
      case Block::kList:
        out += html_list(b.header);
        break;
      case Block::kTable: {
        const std::vector<bool> numbers = number_columns(b.header, b.rows);
        auto cell = [&](const char* tag, std::size_t c, const std::string& text) {
          const std::string open = c < numbers.size() && numbers[c]
                                       ? std::string("<") + tag + " class=\"n\">"
                                       : std::string("<") + tag + ">";
          return open + inline_html(text) + "</" + tag + ">";
        };
        out += "<div class=\"scroll\"><table>\n<tr>";
        for (std::size_t c = 0; c < b.header.size(); ++c) out += cell("th", c, b.header[c]);
        out += "</tr>\n";
        for (const std::vector<std::string>& row : b.rows) {
          out += "<tr>";
          for (std::size_t c = 0; c < row.size(); ++c) out += cell("td", c, row[c]);
          out += "</tr>\n";
        }
        out += "</table></div>\n";
        break;
      }
      case Block::kFigure:
        out += html_figure(b.figure);
        break;
      case Block::kLead:
        out += "<div class=\"lead\">\n" + html_list(b.header) + html_figure(b.figure) + "</div>\n";
        break;
      case Block::kContents:
        out += "<nav>\n" + html_list(contents_after(i)) + "</nav>\n";
        break;
    }
  }
  return out + "</body>\n</html>\n";
}

}  // namespace claw::study

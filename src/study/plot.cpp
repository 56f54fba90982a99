#include "study/plot.h"

#include <cstdio>
#include <cstdlib>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"

namespace claw::study {
namespace fs = std::filesystem;
namespace {

// A string literal for gnuplot's double-quoted strings.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A word for the shell: single-quoted, each single quote spelled '\''.
std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

const char* style_of(PlotSeries::Style style) {
  switch (style) {
    case PlotSeries::kPoints:
      return "points pt 7 ps 0.8";
    case PlotSeries::kLines:
      return "lines lw 2";
    case PlotSeries::kLinesPoints:
      return "linespoints pt 7 ps 0.8 lw 1.5";
    case PlotSeries::kDashed:
      return "lines lw 1.5 dt 2";
    case PlotSeries::kBand:
      return "filledcurves fs transparent solid 0.18 noborder";
  }
  return "lines";
}

// One data block per series, separated by two blank lines (gnuplot's `index`).
std::string gnuplot_data(const Plot& plot) {
  std::string out;
  for (const PlotSeries& s : plot.series) {
    out += "# " + s.title + "\n";
    for (std::size_t i = 0; i < s.points.size(); ++i) {
      char line[96];
      const auto& [x, y] = s.points[i];
      if (s.style == PlotSeries::kBand) {
        std::snprintf(line, sizeof line, "%.10g %.10g %.10g\n", x, y, s.upper.at(i));
      } else {
        std::snprintf(line, sizeof line, "%.10g %.10g\n", x, y);
      }
      out += line;
    }
    out += "\n\n";
  }
  return out;
}

std::string script(const Plot& plot, const std::string& terminal, const std::string& output) {
  std::string s = "set terminal " + terminal + "\nset output " + quoted(output) + "\n";
  s += "set title " + quoted(plot.title) + "\nset xlabel " + quoted(plot.x_label) +
       "\nset ylabel " + quoted(plot.y_label) + "\nset key outside right\nset grid\n";
  if (plot.log_x) s += "set logscale x\n";
  s += "plot ";
  for (std::size_t i = 0; i < plot.series.size(); ++i) {
    if (i > 0) s += ", \\\n     ";
    const bool band = plot.series[i].style == PlotSeries::kBand;
    s += quoted(plot.name + ".dat") + " index " + std::to_string(i) +
         (band ? " using 1:2:3 with " : " using 1:2 with ") + style_of(plot.series[i].style) +
         (plot.series[i].color.empty() ? "" : " lc rgb " + quoted(plot.series[i].color)) +
         " title " + quoted(plot.series[i].title);
  }
  return s + "\n";
}

}  // namespace

bool gnuplot_available() {
  static const bool available = std::system("gnuplot --version >/dev/null 2>&1") == 0;
  return available;
}

bool render_plot(const Plot& plot, const fs::path& directory) {
  fs::create_directories(directory);
  write_file_atomic(directory / (plot.name + ".dat"), gnuplot_data(plot));
  write_file_atomic(directory / (plot.name + ".gp"),
                    script(plot, "pngcairo size 900,560 noenhanced", plot.name + ".png") + "\n" +
                        script(plot, "svg size 900,560 noenhanced", plot.name + ".svg"));
  if (!gnuplot_available()) return false;
  const std::string command = "cd " + shell_quoted(directory.string()) + " && gnuplot " +
                              shell_quoted(plot.name + ".gp") + " 2>" +
                              shell_quoted(plot.name + ".log");
  if (std::system(command.c_str()) != 0) {
    log::warn("gnuplot failed on ", (directory / (plot.name + ".gp")).string(), "; see ",
              (directory / (plot.name + ".log")).string());
    return false;
  }
  fs::remove(directory / (plot.name + ".log"));
  return true;
}

}  // namespace claw::study

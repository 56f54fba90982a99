// Line and scatter plots rendered by gnuplot as PNG and SVG. The data and the script are kept
// beside the images, so a user can restyle a plot with gnuplot alone.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace claw::study {

struct PlotSeries {
  std::string title{};
  std::vector<std::pair<double, double>> points{};
  // kBand fills between each point's y and the same index of `upper` (an interval's bounds).
  enum Style { kPoints, kLines, kLinesPoints, kDashed, kBand } style = kLinesPoints;
  std::vector<double> upper{};
  std::string color{};  // "": gnuplot's next colour; "#rrggbb" to pair a band with its line
};

struct Plot {
  std::string name{};  // file stem: NAME.png, NAME.svg, NAME.dat, NAME.gp
  std::string title{}, x_label{}, y_label{};
  bool log_x = false;
  std::vector<PlotSeries> series{};
};

// Whether gnuplot can be run.
bool gnuplot_available();

// Writes NAME.dat and NAME.gp into `directory` and runs gnuplot for NAME.png and NAME.svg.
// False (with a warning) when gnuplot is missing or fails; the report then goes without. The
// images are drawn under their own names: reports render into a staging directory that only
// appears once whole.
bool render_plot(const Plot& plot, const std::filesystem::path& directory);

}  // namespace claw::study

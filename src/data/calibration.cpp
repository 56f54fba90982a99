#include "data/calibration.h"

#include <random>

#include "core/error.h"
#include "core/text_file.h"

namespace claw::data {

std::vector<std::string> calibration_rows(const Corpus& corpus) {
  std::vector<std::string> rows;
  const auto keep = [&rows](std::string row) {
    if (!strip(row).empty()) rows.push_back(std::move(row));
  };
  if (corpus.layout == TextLayout::kDocuments) {
    for (const std::string& document : corpus.documents) keep(document);
  } else {
    std::size_t start = 0;
    while (start < corpus.text.size()) {
      std::size_t end = corpus.text.find('\n', start);
      if (end == std::string::npos) end = corpus.text.size();
      keep(corpus.text.substr(start, end - start));
      start = end + 1;
    }
  }
  return rows;
}

std::vector<std::vector<std::int32_t>> sample_calibration(const std::vector<std::string>& rows,
                                                          const TextEncoder& encode,
                                                          const CalibrationRequest& request,
                                                          const std::string& source) {
  CLAW_CHECK(request.samples > 0 && request.length > 1,
             "calibration needs at least one sequence of at least two tokens");
  std::vector<std::string> left = rows;
  std::mt19937_64 rng(request.seed);
  std::vector<std::vector<std::int32_t>> sequences;
  const auto ran_out = [&] {
    return concat(source, ": the calibration text runs out after ", sequences.size(), " of ",
                  request.samples, " sequences of ", request.length,
                  " tokens; ask for fewer (--calib-samples, --calib-len) or give more text");
  };
  while (static_cast<std::int64_t>(sequences.size()) < request.samples) {
    CLAW_CHECK(!left.empty(), ran_out());
    const std::size_t start = std::uniform_int_distribution<std::size_t>(0, left.size() - 1)(rng);
    // Rows are encoded one by one to see when enough text has been joined; the joined text is
    // then encoded whole, since tokens can merge across the joins.
    std::string text = left[start];
    std::int64_t estimate = static_cast<std::int64_t>(encode(left[start]).size());
    std::size_t end = start + 1;
    std::vector<std::int32_t> tokens;
    while (true) {
      if (estimate >= request.length || end == left.size()) {
        tokens = encode(text);
        if (static_cast<std::int64_t>(tokens.size()) >= request.length || end == left.size()) break;
      }
      text += "\n\n" + left[end];
      estimate += static_cast<std::int64_t>(encode(left[end]).size());
      ++end;
    }
    left.erase(left.begin() + static_cast<std::ptrdiff_t>(start),
               left.begin() + static_cast<std::ptrdiff_t>(end));
    // A run that reached the last row short of the length is used up without a sequence.
    if (static_cast<std::int64_t>(tokens.size()) < request.length) continue;
    tokens.resize(static_cast<std::size_t>(request.length));
    sequences.push_back(std::move(tokens));
  }
  return sequences;
}

}  // namespace claw::data

#include "compress/slicegpt_calibration.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "core/stopwatch.h"
#include "data/calibration.h"
#include "data/corpus.h"

namespace claw::compress {

void check_calibration_settings(const CalibrationSettings& settings) {
  CLAW_CHECK(!settings.corpus.empty(), "--method slicegpt needs --calib (",
             data::corpus_names_help(), ")");
  CLAW_CHECK(settings.samples >= 1, "--calib-samples must be at least 1, not ", settings.samples);
  CLAW_CHECK(settings.length >= 0, "--calib-len must not be negative, not ", settings.length);
  CLAW_CHECK(settings.orientation == "pca" || settings.orientation == "random",
             "--final-orientation must be pca or random, not '", settings.orientation, "'");
}

void prepare_slicegpt_calibration(SliceGptOptions& options, const CalibrationSettings& settings,
                                  const text::Tokenizer& tokenizer,
                                  const model::ModelConfig& config, std::uint64_t seed) {
  check_calibration_settings(settings);
  const std::string name = settings.corpus == "wikitext2" ? "wikitext2:train" : settings.corpus;
  data::CalibrationRequest request;
  request.samples = settings.samples;
  request.length = settings.length > 0
                       ? settings.length
                       : std::min<std::int64_t>(2048, config.max_position_embeddings);
  CLAW_CHECK(request.length <= config.max_position_embeddings, "--calib-len ", request.length,
             " is longer than the model's context of ", config.max_position_embeddings, " tokens");
  request.seed = seed;
  const data::Corpus corpus = data::load_corpus(name);
  const Stopwatch time;
  options.calibration = data::sample_calibration(
      data::calibration_rows(corpus),
      [&](const std::string& text) { return tokenizer.encode(text, {/*add_bos=*/true}); }, request,
      corpus.source);
  options.calibration_source = name;
  options.orientation =
      settings.orientation == "pca" ? FinalOrientation::kPca : FinalOrientation::kRandom;
  log::info("calibration: ", request.samples, " sequences of ", request.length, " tokens from ",
            name, " (", time.seconds(), " s)");
}

}  // namespace claw::compress

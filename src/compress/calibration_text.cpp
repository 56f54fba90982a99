#include "compress/calibration_text.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "core/stopwatch.h"
#include "data/calibration.h"
#include "data/corpus.h"

namespace claw::compress {

namespace {

// The corpus a calibration name draws from: WikiText-2 calibrates on its train split, as
// SliceGPT does, so that the test split stays unseen.
std::string calibration_corpus(const std::string& name) {
  return name == "wikitext2" ? "wikitext2:train" : name;
}

}  // namespace

// Loading the corpus is how a missing file is found before any weight is read.
void check_calibration_corpus(const Json& name) {
  data::load_corpus(calibration_corpus(name.get<std::string>()));
}

std::string calibration_corpus_help() {
  return "calibration text: a corpus (" + data::corpus_names_help() + ")";
}

const OptionTable& calibration_options() {
  static const OptionTable table = bound_option_table<CalibrationOptions>();
  return table;
}

CalibrationSet draw_calibration(const std::string& method, const Json& options,
                                const CompressionContext& context,
                                const model::ModelConfig& config) {
  CLAW_CHECK(context.tokenizer != nullptr, method,
             " draws calibration text and needs the model's tokenizer");
  const CalibrationOptions asked = bound_options_from<CalibrationOptions>(options);
  const std::string name = calibration_corpus(asked.calib);
  data::CalibrationRequest request;
  request.samples = asked.calib_samples;
  request.length = asked.calib_len > 0
                       ? asked.calib_len
                       : std::min<std::int64_t>(2048, config.max_position_embeddings);
  if (request.length > config.max_position_embeddings) {
    throw OptionError("calib_len", concat(request.length, " is longer than the model's context of ",
                                          config.max_position_embeddings, " tokens"));
  }
  request.seed = context.seed;
  const data::Corpus corpus = data::load_corpus(name);
  const Stopwatch time;
  CalibrationSet set;
  set.sequences = data::sample_calibration(
      data::calibration_rows(corpus),
      [&](const std::string& text) { return context.tokenizer->encode(text, {/*add_bos=*/true}); },
      request, corpus.source);
  set.source = name;
  set.batch = asked.calib_batch;
  set.seed = context.seed;
  log::info("calibration: ", request.samples, " sequences of ", request.length, " tokens from ",
            name, " (", time.seconds(), " s)");
  return set;
}

Json calibration_settings(const CalibrationSet& set) {
  return {{"calib", set.source},
          {"calib_samples", set.sequences.size()},
          {"calib_len", set.sequences.empty() ? 0 : set.sequences.front().size()},
          {"calib_batch", set.batch},
          {"calib_seed", set.seed}};
}

std::vector<torch::Tensor> calibration_batches(const CalibrationSet& set, torch::Device device) {
  std::vector<torch::Tensor> batches;
  const auto n = static_cast<std::int64_t>(set.sequences.size());
  for (std::int64_t start = 0; start < n; start += set.batch) {
    const std::int64_t size = std::min(set.batch, n - start);
    const auto length = static_cast<std::int64_t>(set.sequences.front().size());
    torch::Tensor batch = torch::empty({size, length}, torch::kLong);
    for (std::int64_t i = 0; i < size; ++i) {
      const std::vector<std::int32_t>& sequence =
          set.sequences[static_cast<std::size_t>(start + i)];
      CLAW_CHECK(static_cast<std::int64_t>(sequence.size()) == length,
                 "calibration sequences must all have the same length");
      batch[i].copy_(torch::tensor(sequence, torch::kInt).to(torch::kLong));
    }
    batches.push_back(batch.to(device));
  }
  return batches;
}

}  // namespace claw::compress

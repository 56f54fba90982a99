#include "compress/calibration_text.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "core/stopwatch.h"
#include "data/calibration.h"
#include "data/corpus.h"

namespace claw::compress {

const OptionTable& calibration_options() {
  static const OptionTable table({
      {.name = "calib",
       .kind = OptionKind::kText,
       .help = "calibration text: a corpus (" + data::corpus_names_help() + ")",
       .check = [](const Json& v) { data::load_corpus(v.get<std::string>()); }},
      {.name = "calib_samples",
       .kind = OptionKind::kInteger,
       .default_value = 128,
       .help = "calibration sequences",
       .minimum = 1},
      {.name = "calib_len",
       .kind = OptionKind::kInteger,
       .default_value = 0,
       .help = "tokens per calibration sequence (0: 2048, or the model's context if shorter)",
       .minimum = 0},
      {.name = "calib_batch",
       .kind = OptionKind::kInteger,
       .default_value = 16,
       .help = "calibration sequences per forward pass",
       .minimum = 1},
  });
  return table;
}

CalibrationSet draw_calibration(const std::string& method, const Json& options,
                                const CompressionContext& context,
                                const model::ModelConfig& config) {
  CLAW_CHECK(context.tokenizer != nullptr, method,
             " draws calibration text and needs the model's tokenizer");
  const auto corpus_name = option<std::string>(options, "calib");
  const std::string name = corpus_name == "wikitext2" ? "wikitext2:train" : corpus_name;
  data::CalibrationRequest request;
  request.samples = option<std::int64_t>(options, "calib_samples");
  const auto length = option<std::int64_t>(options, "calib_len");
  request.length =
      length > 0 ? length : std::min<std::int64_t>(2048, config.max_position_embeddings);
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
  set.batch = option<std::int64_t>(options, "calib_batch");
  set.seed = context.seed;
  log::info("calibration: ", request.samples, " sequences of ", request.length, " tokens from ",
            name, " (", time.seconds(), " s)");
  return set;
}

Json calibration_settings(const CalibrationSet& set) {
  return {{"calibration", set.source},
          {"calibration_samples", set.sequences.size()},
          {"calibration_length", set.sequences.empty() ? 0 : set.sequences.front().size()},
          {"calibration_batch", set.batch},
          {"calibration_seed", set.seed}};
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

#include "study/runner.h"

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <map>

#include "bench/llama_cpp_speed.h"
#include "bench/speed_comparison.h"
#include "compress/compression.h"
#include "core/data_dir.h"
#include "core/error.h"
#include "core/json.h"
#include "core/stop_signal.h"
#include "core/stopwatch.h"
#include "model/content_hash.h"
#include "model/layout.h"
#include "model/load.h"
#include "model/presets.h"
#include "model/runtime.h"
#include "model/save.h"
#include "recover/lora.h"
#include "recover/recovery.h"
#include "study/study_directory.h"
#include "text/load_tokenizer.h"

namespace claw::study {
namespace fs = std::filesystem;

namespace {

// The first line of an error, as the store keeps it.
std::string first_line(const char* what) {
  const std::string text(what);
  return text.substr(0, text.find('\n'));
}

// The parameters removed, as metrics.
void add_parameter_metrics(const compress::FractionRemoved& removed,
                           std::vector<MetricValue>& metrics) {
  const std::string protocol = "parameters removed / parameters of the uncompressed model";
  metrics.push_back({kFractionRemovedTotal, removed.total, std::nullopt, protocol});
  metrics.push_back({kFractionRemovedWithoutEmbeddings, removed.without_embeddings, std::nullopt,
                     protocol + ", embeddings and head left out"});
}

// Speed metrics per setting "b<batch>,p<prefill>": measured and ideal speedups, and both
// models' throughputs.
void add_speed_metrics(const Json& bench, std::vector<MetricValue>& metrics) {
  const bool llama_cpp = bench["engine"] == bench::kLlamaCppEngine;
  const std::string engine =
      llama_cpp ? concat("llama.cpp (llama_cpp_driver; both models exported to GGUF ",
                         bench["models"]["model"]["gguf"]["type"].get<std::string>(),
                         ", deci where layers differ)")
                : std::string("claw's LibTorch engine");
  const std::string protocol = concat(
      "speed in ", engine, ": one generation request per run (prefill, then ", bench["decode"],
      " greedy decode steps), ", bench["reps"], " repetitions after ", bench["warmup"],
      " warm-up, base and model alternating; speedup = median of per-repetition ratios; "
      "ideal = the shapes' FLOPs (prefill) or weight bytes read (decode",
      llama_cpp ? ", the GGUF files' without padding" : "", "); ",
      bench["device"].get<std::string>(), ", ", bench["threads"], " threads",
      bench.contains("busy") ? concat("; ", bench["busy"].get<std::string>()) : "");
  for (const Json& s : bench["settings"]) {
    const SpeedSetting at{s["batch"].get<std::int64_t>(), s["prefill"].get<std::int64_t>()};
    for (const SpeedPhase phase : kSpeedPhases) {
      const auto add = [&](MetricKind kind, const Json& value) {
        metrics.push_back(
            {MetricName::speed(kind, phase, at), value.get<double>(), std::nullopt, protocol});
      };
      const Json& speedup = s["speedup"][phase_name(phase)];
      const std::string rate = concat(phase_name(phase), "_tokens_per_s");
      add(MetricKind::kSpeedup, speedup["measured"]["median"]);
      add(MetricKind::kIdealSpeedup, speedup["ideal"]);
      add(MetricKind::kTokensPerSecond, s["model"][rate]["median"]);
      add(MetricKind::kBaseTokensPerSecond, s["base"][rate]["median"]);
    }
  }
}

fs::path data_path_or_given(const std::string& path) {
  return fs::exists(path) ? fs::path(path) : data_file(path);
}

}  // namespace

// One experiment on its way into the store: its stages are timed and announced, an exception
// becomes a recorded failure, and the result is written whole at the end.
class Runner::Attempt {
 public:
  Attempt(const Experiment& e, Runner& runner, Tally& tally)
      : e_(e), runner_(runner), tally_(tally) {
    result_.key = e.key;
    result_.kind = kind_name(e.kind);
    result_.label = e.label();
    result_.model = e.model;
    result_.method = e.method;
    result_.ratio = e.ratio;
    result_.tokens = e.tokens;
    result_.seed = e.seed;
    result_.config = e.config;
    result_.started = utc_now();
  }

  // Runs `body` as stage `name`, timed.
  template <typename Body>
  auto stage(const std::string& name, Body&& body) {
    stop_point();
    stage_ = name;
    runner_.store_.set_worker_stage(runner_.options_.worker, e_.label(), name);
    if (tally_.on_stage) tally_.on_stage(e_, name);
    const Stopwatch time;
    if constexpr (std::is_void_v<decltype(body())>) {
      body();
      result_.timings.emplace_back(name, time.seconds());
    } else {
      auto value = body();
      result_.timings.emplace_back(name, time.seconds());
      return value;
    }
  }

  // Runs `body`, which fills result(); records the experiment, or the failure it threw.
  template <typename Body>
  void run(Body&& body) {
    try {
      body();
    } catch (const std::exception& error) {
      fail(first_line(error.what()));
      return;
    }
    result_.finished = utc_now();
    result_.seconds = time_.seconds();
    runner_.store_.record(result_) ? ++tally_.counts.finished : ++tally_.counts.skipped;
    if (tally_.on_done) tally_.on_done(e_, true);
  }

  // Records the failure at `stage`, or at the stage the attempt is in.
  void fail(const std::string& message, const std::string& stage = "") {
    runner_.store_.record_failure(
        {e_.key, e_.label(), stage.empty() ? stage_ : stage, message, utc_now()});
    ++tally_.counts.failed;
    if (tally_.on_done) tally_.on_done(e_, false);
  }

  ExperimentResult& result() { return result_; }

 private:
  const Experiment& e_;
  Runner& runner_;
  Tally& tally_;
  ExperimentResult result_;
  std::string stage_ = "start";
  Stopwatch time_;
};

std::vector<ResolvedModel> resolve_study_models(const StudyConfig& config) {
  std::vector<ResolvedModel> models;
  for (const std::string& name : config.models) {
    const std::optional<fs::path> path = resolve_model_name(name);
    CLAW_CHECK(path.has_value(), config.source, ": models: '", name,
               "' is no model file or directory, nor a model of that name in the data directory");
    const model::ModelConfig model_config = model::read_model_config(*path);
    const std::optional<fs::path> tokenizer =
        text::find_tokenizer_beside(*path, model_config.vocab_size);
    CLAW_CHECK(tokenizer.has_value(), path->string(), ": no tokenizer beside the model");
    // From the mapped files, and cached: every worker resolves the models before any work.
    models.push_back({{name, model::cached_content_hash(*path), model_config}, *path, *tokenizer});
  }
  return models;
}

Runner::Runner(const StudyConfig& config, std::vector<ResolvedModel> models, Store& store,
               RunnerOptions options)
    : config_(config),
      models_(std::move(models)),
      store_(store),
      options_(std::move(options)),
      evaluation_(config.evaluation),
      tokenizers_(models_.size()) {}

Runner::~Runner() = default;

const ResolvedModel& Runner::model_named(const std::string& name) const {
  for (const ResolvedModel& m : models_) {
    if (m.identity.name == name) return m;
  }
  CLAW_FAIL("the study has no model '", name, "'");
}

const text::Tokenizer& Runner::tokenizer_of(const ResolvedModel& model) {
  const auto i = static_cast<std::size_t>(&model - models_.data());
  if (!tokenizers_[i]) tokenizers_[i] = text::load_tokenizer(model.tokenizer);
  return *tokenizers_[i];
}

const recover::RecoveryData& Runner::recovery_data(const ResolvedModel& model) {
  auto found = recovery_data_.find(model.identity.name);
  if (found == recovery_data_.end()) {
    found = recovery_data_
                .emplace(model.identity.name, recover::prepare_recovery_data(
                                                  tokenizer_of(model), config_.recovery.options))
                .first;
  }
  return found->second;
}

RunCounts Runner::run(const std::vector<const Experiment*>& experiments,
                      const StageCallback& on_stage, const DoneCallback& on_done) {
  Tally tally{on_stage, on_done, {}};
  const std::set<std::string> finished = store_.finished_keys();
  std::vector<const Experiment*> pending;
  for (const Experiment* e : experiments) {
    if (finished.count(e->key) > 0) {
      ++tally.counts.skipped;
    } else {
      pending.push_back(e);
    }
  }
  try {
    for (std::size_t first = 0; first < pending.size();) {
      std::size_t end = first + 1;
      while (end < pending.size() && pending[end]->group == pending[first]->group) ++end;
      const Experiment& e = *pending[first];
      if (e.kind == ExperimentKind::kBase) {
        run_base(e, tally);
      } else if (e.kind == ExperimentKind::kSpeed) {
        run_speed(e, tally);
      } else {
        run_compressed_group({pending.begin() + first, pending.begin() + end}, tally);
      }
      first = end;
    }
  } catch (const StopRequested&) {
    tally.counts.stopped = true;
  }
  store_.set_worker_stage(options_.worker, "", "");
  return tally.counts;
}

void Runner::run_base(const Experiment& e, Tally& tally) {
  Attempt attempt(e, *this, tally);
  attempt.run([&] {
    const ResolvedModel& m = model_named(e.model);
    // The base is a study's largest model: when it does not fit, it is scored a layer at a time.
    eval::OpenedModel model = attempt.stage("load", [&] {
      return eval::OpenedModel(m.path, {options_.device, options_.dtype});
    });
    ExperimentResult& r = attempt.result();
    const eval::ScoredModel scored = model.scored();
    StudyEvaluation::Result evaluated =
        attempt.stage("evaluate", [&] { return evaluation_.evaluate(scored, tokenizer_of(m)); });
    r.metrics = std::move(evaluated.metrics);
    r.record = std::move(evaluated.record);
    r.record["model"] = {{"path", m.path.string()},
                         {"content_hash", m.identity.content_hash},
                         {"parameters", model::count_parameters(scored.config()).total()}};
  });
}

Json Runner::compress(const Experiment& e, Attempt& attempt, CompressedModel& out) {
  const ResolvedModel& m = model_named(e.model);
  const MethodSpec& spec = *config_.method_named(e.method);
  out.directory = StudyDirectory(options_.directory).compressed_model(e.compression_key);
  out.relative = StudyDirectory::compressed_model_relative(e.compression_key);
  // Made by an earlier run (or an earlier D of this group): its record is the file's.
  if (fs::exists(out.directory)) return read_json_file(out.directory / "compression.json");
  return attempt.stage("compress", [&] {
    model::SaveOptions save;
    save.extra_files = text::tokenizer_files(m.tokenizer);
    return compress::write_compressed_model(
        {spec.name, spec.options, e.ratio, m.path},
        {e.seed, options_.device, &tokenizer_of(m), m.identity.content_hash}, {options_.device},
        save, out.directory);
  });
}

void Runner::run_compressed_group(const std::vector<const Experiment*>& group, Tally& tally) {
  Json compression;
  CompressedModel compressed;
  std::optional<std::string> failure;
  {
    // The group's first experiment carries the compression: its failure fails them all.
    Attempt first(*group.front(), *this, tally);
    try {
      compression = compress(*group.front(), first, compressed);
    } catch (const std::exception& error) {
      failure = first_line(error.what());
    }
    if (failure) {
      for (const Experiment* e : group) Attempt(*e, *this, tally).fail(*failure, "compress");
      return;
    }
  }
  const ResolvedModel& m = model_named(group.front()->model);
  // Distillation's teacher: the model's own base, loaded once for the group's budgets.
  std::optional<model::Model> teacher;
  for (const Experiment* e : group) {
    Attempt attempt(*e, *this, tally);
    attempt.run([&] {
      ExperimentResult& r = attempt.result();
      model::Model model = attempt.stage("load", [&] {
        return model::load_model(compressed.directory, {options_.device, options_.dtype});
      });
      if (compressed.content_hash.empty()) compressed.content_hash = model::content_hash(model);
      Json recovery = nullptr;
      if (e->tokens > 0) {
        const recover::RecoveryOptions options =
            config_.recovery.options_for(e->tokens, e->seed, e->objective, m.identity.name);
        const recover::RecoveryData& data = recovery_data(m);
        recovery = attempt.stage("recover", [&] {
          const bool distils = e->objective == recover::Objective::kDistillation;
          if (distils && !teacher) {
            teacher = model::load_model(m.path, {options_.device, options_.dtype});
          }
          Json record =
              recover::train_recovery(model, data, options, distils ? &*teacher : nullptr);
          torch::NoGradGuard no_grad;
          recover::merge_lora(model);
          return record;
        });
        recovery["settings"] = e->config["recovery"];
      }
      StudyEvaluation::Result evaluated =
          attempt.stage("evaluate", [&] { return evaluation_.evaluate(model, tokenizer_of(m)); });
      r.metrics = std::move(evaluated.metrics);
      add_parameter_metrics(compress::FractionRemoved::of_record(compression), r.metrics);
      r.record = std::move(evaluated.record);
      r.record["compression"] = compression;
      r.record["recovery"] = recovery;
      r.artifacts.push_back(
          {"compressed_model", compressed.relative.string(), compressed.content_hash});
    });
  }
}

void Runner::run_speed(const Experiment& e, Tally& tally) {
  Attempt attempt(e, *this, tally);
  attempt.run([&] {
    const SpeedSpec& speed = config_.speed;
    // q8_0 is a GGUF type (llama.cpp only): claw makes the models in float32 for it.
    const torch::ScalarType dtype =
        speed.dtype == "q8_0" ? torch::kFloat32 : model::parse_dtype(speed.dtype);
    const fs::path model_path = resolve_model_name(speed.model).value_or(speed.model);
    if (!speed_base_) {
      speed_base_ = attempt.stage("load", [&] {
        if (!speed.preset.empty()) {
          return model::random_model(model::preset_config(speed.preset), 0, dtype, options_.device);
        }
        return model::load_model(model_path, {options_.device, dtype});
      });
    }
    model::Model model = model::deep_copy(*speed_base_);
    const std::string& name = e.method;
    Json compression = attempt.stage("compress", [&] {
      // Only the shapes matter here; the study's settings of the method are used when it has
      // them, and calibration-based methods calibrate on the little [speed] asks for.
      const compress::MethodInfo& info = compress::method_info(name);
      Json options = Json::object();
      if (const MethodSpec* m = config_.method_named(name)) {
        options = info.options.recorded(m->options);
      }
      std::unique_ptr<text::Tokenizer> tokenizer;
      if (info.needs_calibration()) {
        options.update(speed.calibration);
        const fs::path tokenizer_path =
            speed.tokenizer.empty()
                ? text::find_tokenizer_beside(model_path, model.config.vocab_size).value_or("")
                : data_path_or_given(speed.tokenizer);
        CLAW_CHECK(!tokenizer_path.empty(), "[speed] needs tokenizer for ", name, "'s calibration");
        tokenizer = text::load_tokenizer(tokenizer_path);
      }
      const auto method =
          compress::make_method(name, options, {0, options_.device, tokenizer.get()}, model.config);
      return compress::compress_model(model, *method, e.ratio);
    });
    const Json bench = attempt.stage("bench", [&] {
      const std::vector<bench::BenchedModel> models = {{"base", e.model, &*speed_base_},
                                                       {"model", e.label(), &model}};
      if (e.engine == bench::kLlamaCppEngine) {
        const bench::LlamaCppOptions llama_cpp = {bench::llama_cpp_driver(),
                                                  *model::parse_gguf_dtype(speed.dtype),
                                                  at::get_num_threads()};
        return bench::compare_speed_in_llama_cpp(models, speed.options, llama_cpp);
      }
      return bench::compare_speed(models, speed.options);
    });
    ExperimentResult& r = attempt.result();
    add_parameter_metrics(compress::FractionRemoved::of_record(compression), r.metrics);
    add_speed_metrics(bench, r.metrics);
    r.record = {{"compression", compression}, {"speed", bench}};
  });
}

}  // namespace claw::study

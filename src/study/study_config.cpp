#include "study/study_config.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "bench/llama_cpp_speed.h"
#include "compress/calibration_text.h"
#include "compress/method_registry.h"
#include "core/error.h"
#include "core/option_table.h"
#include "core/text_file.h"
#include "data/choice_task.h"
#include "data/corpus.h"
#include "data/task_groups.h"
#include "model/presets.h"
#include "recover/recovery_options.h"
#include "study/toml_fields.h"

namespace claw::study {
namespace {

// The [quick] overrides: each key replaces the one it names, tables merged key by key.
void merge_into(toml::table& target, const toml::table& overrides) {
  for (const auto& [key, node] : overrides) {
    toml::node* existing = target.get(key.str());
    if (existing != nullptr && existing->is_table() && node.is_table()) {
      merge_into(*existing->as_table(), *node.as_table());
    } else {
      target.insert_or_assign(key, node);
    }
  }
}

template <typename T>
void require_nonempty(TomlFields& fields, const std::string& key, const std::vector<T>& values) {
  if (values.empty()) fields.fail(key, "needs at least one value");
}

void check_dataset(TomlFields& fields, const std::string& key, const std::string& name) {
  fields.check(key, [&] { data::load_corpus(name); });
}

void check_choice_task(TomlFields& fields, const std::string& key, const std::string& name) {
  if (!data::is_choice_task(name)) {
    fields.fail(key, concat("unknown zero-shot task '", name, "'; expected ",
                            data::choice_task_names_help()));
  }
  fields.check(key, [&] { data::load_choice_tasks({name}); });
}

std::vector<double> read_ratios(TomlFields& fields, const std::string& key) {
  std::vector<double> ratios = fields.numbers(key).value_or(std::vector<double>{});
  require_nonempty(fields, key, ratios);
  for (const double r : ratios) {
    if (!(r >= 0 && r < 1)) fields.fail(key, concat("a ratio must lie in [0, 1), not ", r));
  }
  return ratios;
}

// The value of `spec` in the table, when the file gives one.
std::optional<Json> option_value(TomlFields& f, const OptionSpec& spec) {
  const auto some = [](const auto& v) { return v ? std::optional<Json>(*v) : std::nullopt; };
  switch (spec.kind) {
    case OptionKind::kInteger:
      return some(f.integer(spec.name));
    case OptionKind::kNumber:
      return some(f.number(spec.name));
    case OptionKind::kText:
      return some(f.string(spec.name));
    case OptionKind::kFlag:
      return some(f.boolean(spec.name));
    case OptionKind::kTextList:
      return some(f.strings(spec.name));
  }
  return std::nullopt;
}

// The recorded options of `table` that the TOML table gives, completed with the defaults and
// checked; a bad value is reported at its key.
Json read_options(TomlFields& f, const OptionTable& table) {
  Json values = Json::object();
  for (const OptionSpec& spec : table.specs()) {
    if (!spec.recorded) continue;
    if (std::optional<Json> value = option_value(f, spec)) values[spec.name] = std::move(*value);
  }
  f.check("", [&] { values = table.complete(std::move(values)); });
  return values;
}

MethodSpec read_method(TomlFields& methods, const std::string& name) {
  MethodSpec spec;
  spec.name = name;
  methods.check(name, [&] { compress::method_info(name); });
  TomlFields f = *methods.table(name);
  spec.options = read_options(f, compress::method_info(name).options);
  f.refuse_unknown_keys();
  return spec;
}

}  // namespace

recover::RecoveryOptions RecoverySpec::options_for(std::int64_t tokens, std::uint64_t seed,
                                                   recover::Objective objective,
                                                   const std::string& teacher) const {
  recover::RecoveryOptions o = options;
  o.tokens = tokens;
  o.seed = seed;
  if (objective == recover::Objective::kDistillation) o.teacher = teacher;
  return o;
}

namespace {

RecoverySpec read_recovery(TomlFields& f) {
  RecoverySpec spec;
  spec.budgets = f.integers("tokens").value_or(std::vector<std::int64_t>{0});
  require_nonempty(f, "tokens", spec.budgets);
  for (const std::int64_t d : spec.budgets) {
    if (d < 0) f.fail("tokens", concat("a budget D must not be negative, not ", d));
  }
  if (std::optional<std::vector<std::string>> names = f.strings("objectives")) {
    require_nonempty(f, "objectives", *names);
    spec.objectives.clear();
    for (const std::string& name : *names) {
      const std::optional<recover::Objective> objective = recover::objective_named(name);
      if (!objective) {
        f.fail("objectives", concat("'", name, "' is no objective: lm (next-token training) or ",
                                    "kd (distillation from the uncompressed model)"));
      }
      if (std::find(spec.objectives.begin(), spec.objectives.end(), *objective) !=
          spec.objectives.end()) {
        f.fail("objectives", concat("'", name, "' is listed twice"));
      }
      spec.objectives.push_back(*objective);
    }
  }
  spec.options = recover::recovery_options_from(read_options(f, recover::recovery_option_table()));
  const bool recovers = *std::max_element(spec.budgets.begin(), spec.budgets.end()) > 0;
  if (recovers && spec.options.data.empty()) {
    f.fail("", "a budget D > 0 needs data, the training text");
  }
  const bool distils = std::find(spec.objectives.begin(), spec.objectives.end(),
                                 recover::Objective::kDistillation) != spec.objectives.end();
  if (!distils && recover::sets_distillation(spec.options)) {
    f.fail("kd_weight", "and the other kd_ settings are distillation's: add kd to objectives");
  }
  if (std::find(spec.objectives.begin(), spec.objectives.end(), recover::Objective::kNextToken) ==
      spec.objectives.end()) {
    f.fail("objectives", "must include lm: distillation is reported against next-token training");
  }
  if (distils && spec.options.trainer.kd_weight == 0) {
    f.fail("kd_weight", "0 is next-token training; list lm in objectives instead");
  }
  f.refuse_unknown_keys();
  return spec;
}

EvaluationSpec read_evaluation(TomlFields& f) {
  EvaluationSpec spec;
  spec.zero_shot = f.strings("zero_shot").value_or(std::vector<std::string>{});
  for (const std::string& task : spec.zero_shot) check_choice_task(f, "zero_shot", task);
  spec.zero_shot_limit = f.integer("zero_shot_limit").value_or(0);
  spec.batch = f.integer("batch").value_or(spec.batch);
  if (spec.zero_shot_limit < 0) f.fail("zero_shot_limit", "must not be negative");
  if (spec.batch < 1) f.fail("batch", "must be at least 1");
  return spec;
}

SpeedSpec read_speed(TomlFields& f) {
  SpeedSpec spec;
  spec.enabled = f.boolean("enabled").value_or(true);
  spec.model = f.string("model").value_or("");
  spec.preset = f.string("preset").value_or("");
  if (spec.model.empty() == spec.preset.empty()) f.fail("", "give either model or preset");
  if (!spec.preset.empty()) {
    f.check("preset", [&] { model::preset_config(spec.preset); });
  }
  spec.tokenizer = f.string("tokenizer").value_or("");
  spec.engines = f.strings("engines").value_or(spec.engines);
  require_nonempty(f, "engines", spec.engines);
  const bool claw_engine = std::count(spec.engines.begin(), spec.engines.end(), bench::kClawEngine);
  for (const std::string& engine : spec.engines) {
    if (std::find(std::begin(bench::kSpeedEngines), std::end(bench::kSpeedEngines), engine) ==
        std::end(bench::kSpeedEngines)) {
      f.fail("engines", concat("expected \"claw\" or \"llama.cpp\", not '", engine, "'"));
    }
  }
  spec.dtype = f.string("dtype").value_or(spec.dtype);
  if (spec.dtype != "f32" && spec.dtype != "bf16" && spec.dtype != "f16" &&
      (spec.dtype != "q8_0" || claw_engine)) {
    f.fail("dtype", concat("expected f32, bf16 or f16 (or q8_0 when llama.cpp is the only "
                           "engine), not '",
                           spec.dtype, "'"));
  }
  spec.methods = f.strings("methods").value_or(std::vector<std::string>{"random"});
  require_nonempty(f, "methods", spec.methods);
  for (const std::string& m : spec.methods) {
    f.check("methods", [&] { compress::method_info(m); });
  }
  spec.ratios = read_ratios(f, "ratios");
  // Only the shapes matter to speed, so calibration-based methods calibrate on little text.
  spec.calibration = {{"calib", f.string("calib").value_or("tinystories:train")},
                      {"calib_samples", f.integer("calib_samples").value_or(8)},
                      {"calib_len", f.integer("calib_len").value_or(128)}};
  f.check("", [&] { compress::calibration_options().complete(spec.calibration); });
  bench::SpeedOptions& o = spec.options;
  o.batches = f.integers("batch").value_or(std::vector<std::int64_t>{1});
  o.prompts = f.integers("prefill").value_or(std::vector<std::int64_t>{128});
  o.decode = f.integer("decode").value_or(32);
  o.reps = static_cast<int>(f.integer("reps").value_or(3));
  o.warmup = static_cast<int>(f.integer("warmup").value_or(1));
  require_nonempty(f, "batch", o.batches);
  require_nonempty(f, "prefill", o.prompts);
  f.check("", [&] {
    model::ModelConfig unlimited;
    unlimited.max_position_embeddings = INT32_MAX;
    bench::check_speed_options(o, unlimited);
    if (std::count(spec.engines.begin(), spec.engines.end(), bench::kLlamaCppEngine)) {
      bench::check_llama_cpp_speed_options(o);
    }
  });
  f.refuse_unknown_keys();
  return spec;
}

std::vector<LossTask> read_loss_tasks(TomlFields& evaluation, const std::string& source) {
  std::vector<LossTask> tasks;
  const toml::node* node = evaluation.raw("loss");
  if (node == nullptr) return tasks;
  const toml::array* items = node->as_array();
  const char* expected = "expected an array of { task = \"...\", limit_tokens = N } tables";
  if (items == nullptr) evaluation.fail("loss", expected);
  for (const toml::node& item : *items) {
    const toml::table* table = item.as_table();
    if (table == nullptr) evaluation.fail("loss", expected);
    TomlFields f(*table, source, "evaluation.loss");
    LossTask task;
    task.task = f.string("task").value_or("");
    if (task.task.empty()) f.fail("", "each loss evaluation needs task, a corpus name");
    check_dataset(f, "task", task.task);
    task.limit_tokens = f.integer("limit_tokens").value_or(0);
    if (task.limit_tokens < 0) f.fail("limit_tokens", "must not be negative");
    f.refuse_unknown_keys();
    tasks.push_back(task);
  }
  return tasks;
}

}  // namespace

const MethodSpec* StudyConfig::method_named(const std::string& name) const {
  for (const MethodSpec& m : methods) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

Json MethodSpec::settings() const {
  Json s = compress::method_info(name).options.keyed(options);
  s["method"] = name;
  return s;
}

Json EvaluationSpec::settings() const {
  Json s = {
      {"loss", Json::array()}, {"zero_shot", zero_shot}, {"zero_shot_limit", zero_shot_limit}};
  for (const LossTask& t : loss) {
    s["loss"].push_back({{"task", t.task}, {"limit_tokens", t.limit_tokens}});
  }
  return s;
}

Json SpeedSpec::settings() const {
  return {{"model", model},
          {"preset", preset},
          {"dtype", dtype},
          {"batch", options.batches},
          {"prefill", options.prompts},
          {"decode", options.decode},
          {"reps", options.reps},
          {"warmup", options.warmup},
          {"calib", calibration["calib"]},
          {"calib_samples", calibration["calib_samples"]},
          {"calib_len", calibration["calib_len"]}};
}

StudyConfig parse_study_config(const std::string& text, const std::string& source, bool quick) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw Error(concat(source, ":", e.source().begin.line, ":", e.source().begin.column, ": ",
                       e.description()));
  }
  if (const toml::node* overrides = root.get("quick")) {
    if (!overrides->is_table()) TomlFields(root, source, "").fail("quick", "expected a table");
    const toml::table quick_table = *overrides->as_table();
    root.erase("quick");
    if (quick) merge_into(root, quick_table);
  } else if (quick) {
    throw Error(concat(source, ": --quick needs a [quick] table saying what to shrink"));
  }

  StudyConfig config;
  config.source = source;
  config.text = text;
  config.quick = quick;
  TomlFields f(root, source, "");
  config.name = f.string("name").value_or("study");
  config.models = f.strings("models").value_or(std::vector<std::string>{});
  require_nonempty(f, "models", config.models);
  if (f.raw("target_params") != nullptr) {
    if (f.raw("ratios") != nullptr)
      f.fail("target_params", "give ratios or target_params, not both");
    config.target_params = f.numbers("target_params").value_or(std::vector<double>{});
    require_nonempty(f, "target_params", config.target_params);
    for (const double t : config.target_params) {
      if (!(t > 0 && t < 1)) {
        f.fail("target_params", concat("a fraction of parameters must lie in (0, 1), not ", t));
      }
    }
  } else {
    config.ratios = read_ratios(f, "ratios");
  }
  for (const std::int64_t seed : f.integers("seeds").value_or(std::vector<std::int64_t>{0})) {
    if (seed < 0) f.fail("seeds", "a seed must not be negative");
    config.seeds.push_back(static_cast<std::uint64_t>(seed));
  }
  require_nonempty(f, "seeds", config.seeds);

  std::optional<TomlFields> methods = f.table("methods");
  if (!methods) f.fail("", "a study needs a [methods] table, e.g. [methods.random]");
  for (const std::string& name : methods->keys())
    config.methods.push_back(read_method(*methods, name));
  if (config.methods.empty()) methods->fail("", "needs at least one method");

  if (std::optional<TomlFields> recovery = f.table("recovery")) {
    config.recovery = read_recovery(*recovery);
  } else {
    config.recovery.budgets = {0};
  }
  std::optional<TomlFields> evaluation = f.table("evaluation");
  if (!evaluation) f.fail("", "a study needs an [evaluation] table");
  config.evaluation = read_evaluation(*evaluation);
  config.evaluation.loss = read_loss_tasks(*evaluation, source);
  if (config.evaluation.loss.empty() && config.evaluation.zero_shot.empty()) {
    evaluation->fail("", "needs loss or zero_shot evaluations");
  }
  evaluation->refuse_unknown_keys();
  if (std::optional<TomlFields> speed = f.table("speed")) config.speed = read_speed(*speed);
  f.refuse_unknown_keys();
  return config;
}

StudyConfig read_study_config(const std::filesystem::path& path, bool quick) {
  return parse_study_config(read_text_file(path), path.string(), quick);
}

}  // namespace claw::study

#include "cli/eval_report.h"

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/format.h"

namespace claw::cli {
namespace {

// The harness writes "N/A" where an error cannot be estimated; JSON null says the same.
Json number_or_null(double value) {
  return std::isnan(value) ? Json(nullptr) : Json(value);
}

void add_metrics(Json& entry, const std::vector<eval::Metric>& metrics, double chance) {
  for (const eval::Metric& m : metrics) {
    entry[m.name + ",none"] = m.value;
    entry[m.name + "_stderr,none"] = number_or_null(m.standard_error);
  }
  entry["chance"] = number_or_null(chance);
}

// "acc 0.6800 ± 0.0148, acc_norm …": each metric with its error where it has one.
std::string metrics_text(const std::vector<eval::Metric>& metrics) {
  return join(metrics, [](const eval::Metric& m) {
    return std::isnan(m.standard_error)
               ? concat(m.name, " ", fixed(m.value, 4))
               : concat(m.name, " ", fixed(m.value, 4), " ± ", fixed(m.standard_error, 4));
  });
}

}  // namespace

Json intrinsic_entry(const std::string& task, const eval::IntrinsicResult& r) {
  return {{"alias", task},
          {"loss,none", r.loss},
          {"loss_stderr,none",
           std::isfinite(r.standard_error) ? Json(r.standard_error) : Json(nullptr)},
          {"perplexity,none", r.perplexity},
          {"tokens_scored", r.tokens_scored},
          {"mode", eval::mode_name(r.mode)},
          {r.mode == eval::Mode::kWindows ? "windows" : "documents", r.sequences},
          {"ctx", r.ctx},
          {"stride", r.stride},
          {"protocol", r.protocol},
          {"seconds", r.seconds},
          {"tokens_per_second", static_cast<double>(r.tokens_scored) / r.seconds}};
}

Json zero_shot_entry(const eval::ZeroShotResult& r) {
  Json entry = {{"alias", r.task}};
  add_metrics(entry, r.metrics, r.chance);
  entry["items"] = r.items_scored;
  entry["items_skipped"] = r.skipped.size();
  entry["protocol"] = r.protocol;
  entry["tokens_processed"] = r.work.tokens_processed;
  entry["seconds"] = r.seconds;
  entry["items_per_second"] = static_cast<double>(r.items_scored) / r.seconds;
  return entry;
}

Json group_entry(const eval::GroupResult& g) {
  Json entry = {{"alias", g.name}};
  add_metrics(entry, g.metrics, g.chance);
  entry["tasks"] = g.tasks;
  entry["items"] = g.items;
  if (!g.protocol.empty()) entry["protocol"] = g.protocol;
  if (!g.parts.empty()) {
    Json parts = Json::object();
    for (const eval::GroupResult& part : g.parts) parts[part.name] = group_entry(part);
    entry["parts"] = parts;
  }
  return entry;
}

void print_intrinsic(const std::string& model, const std::string& task,
                     const eval::IntrinsicResult& r) {
  const char* unit = r.mode == eval::Mode::kWindows ? "windows" : "documents";
  std::printf("%s on %s (%s)\n", model.c_str(), task.c_str(), eval::mode_name(r.mode));
  std::printf("  loss        %.6f nats/token", r.loss);
  if (std::isfinite(r.standard_error)) {
    std::printf(" ± %.6f (standard error over the %s)", r.standard_error, unit);
  }
  std::printf("\n");
  std::printf("  perplexity  %.4f\n", r.perplexity);
  std::printf("  scored      %s tokens in %s %s\n", with_commas(r.tokens_scored).c_str(),
              with_commas(r.sequences).c_str(), unit);
  std::printf("  protocol    %s\n", r.protocol.c_str());
  std::printf("  time        %.2f s (%.0f tokens/s)\n", r.seconds,
              static_cast<double>(r.tokens_scored) / r.seconds);
}

void print_zero_shot(const std::string& model, const eval::ZeroShotResult& r) {
  std::printf("%s on %s (%lld-shot)\n", model.c_str(), r.task.c_str(),
              static_cast<long long>(r.num_fewshot));
  for (const eval::Metric& m : r.metrics) {
    if (std::isnan(m.standard_error)) {
      std::printf("  %-11s %.4f\n", m.name.c_str(), m.value);
    } else {
      std::printf("  %-11s %.4f ± %.4f\n", m.name.c_str(), m.value, m.standard_error);
    }
  }
  std::printf("  protocol    %s\n", r.protocol.c_str());
  std::printf("  time        %.2f s (%.1f items/s, %s tokens through the model)\n", r.seconds,
              static_cast<double>(r.items_scored) / r.seconds,
              with_commas(r.work.tokens_processed).c_str());
}

void print_group_member(const eval::ZeroShotResult& r) {
  std::printf("  %-55s %s (chance %.2f, %s items, %.1f s)\n", r.task.c_str(),
              metrics_text(r.metrics).c_str(), r.chance, with_commas(r.items_scored).c_str(),
              r.seconds);
}

void print_group(const std::string& model, const eval::GroupResult& g) {
  std::printf("%s on %s (%lld tasks, %s items)\n", model.c_str(), g.name.c_str(),
              static_cast<long long>(g.tasks), with_commas(g.items).c_str());
  std::printf("  %-24s %s (chance %.4f)\n", g.name.c_str(), metrics_text(g.metrics).c_str(),
              g.chance);
  for (const eval::GroupResult& part : g.parts) {
    std::printf("  %-24s %s (chance %.4f, %lld tasks)\n", part.name.c_str(),
                metrics_text(part.metrics).c_str(), part.chance,
                static_cast<long long>(part.tasks));
  }
  std::printf("  protocol    %s\n", g.protocol.c_str());
}

std::string sample_lines(const eval::ZeroShotResult& r) {
  std::string lines;
  for (const eval::ScoredItem& s : r.samples) {
    Json requests = Json::array();
    for (std::size_t c = 0; c < s.scores.size(); ++c) {
      requests.push_back({{"context", s.item->requests[c].context},
                          {"continuation", s.item->requests[c].continuation},
                          {"loglikelihood", s.scores[c].loglikelihood},
                          {"tokens", s.scores[c].tokens},
                          {"greedy", s.scores[c].greedy}});
    }
    Json record = {{"task", r.task},
                   {"doc_id", s.doc_id},
                   {"line", s.item->line},
                   {"choices", s.item->choices},
                   {"requests", requests}};
    if (s.item->choices.empty()) {
      record["acc"] = s.scores.front().greedy ? 1.0 : 0.0;
    } else {
      record["gold"] = s.item->gold;
      record["prediction"] = s.prediction;
      record["acc"] = s.prediction == s.item->gold ? 1.0 : 0.0;
      if (s.prediction_norm >= 0) {
        record["prediction_norm"] = s.prediction_norm;
        record["acc_norm"] = s.prediction_norm == s.item->gold ? 1.0 : 0.0;
      }
    }
    lines += record.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  }
  return lines;
}

}  // namespace claw::cli

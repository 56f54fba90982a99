// The report's appendices: every protocol once, with the metrics that follow it, and the
// uncompressed models' metrics that enter no law (perplexities, each task, each paradigm).
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "core/format.h"
#include "study/report_writer.h"

namespace claw::study {
namespace {

bool identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// `protocol` with each whole-word mention of `subject` as "{task}", so that tasks measured the
// same way share one protocol.
std::string generic_protocol(const std::string& protocol, const std::string& subject) {
  if (subject.empty()) return protocol;
  std::string out;
  std::size_t at = 0;
  for (std::size_t found = protocol.find(subject); found != std::string::npos;
       found = protocol.find(subject, found + 1)) {
    const std::size_t end = found + subject.size();
    const bool whole = (found == 0 || !identifier_char(protocol[found - 1])) &&
                       (end == protocol.size() || !identifier_char(protocol[end]));
    if (!whole || found < at) continue;
    out += protocol.substr(at, found - at) + "{task}";
    at = end;
  }
  return out + protocol.substr(at);
}

// "acc/piqa", "acc_norm/piqa", "acc/arc_easy" -> "acc: piqa, arc_easy; acc_norm: piqa". A kind
// measured on every task of the table and on nothing else ("chance") is not listed task by task.
std::string metrics_by_kind(const std::vector<MetricName>& names,
                            const std::set<std::string>& tasks) {
  std::vector<std::pair<std::string, std::vector<std::string>>> kinds;
  for (const MetricName& name : names) {
    const std::string text = name.text();
    const std::size_t slash = text.find('/');
    const std::string kind = text.substr(0, slash);
    const std::string rest = slash == std::string::npos ? "" : text.substr(slash + 1);
    auto slot =
        std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == kind; });
    if (slot == kinds.end()) slot = kinds.insert(kinds.end(), {kind, {}});
    slot->second.push_back(rest);
  }
  std::string out;
  for (const auto& [kind, subjects] : kinds) {
    const bool every_task =
        subjects.size() > 2 && std::set<std::string>(subjects.begin(), subjects.end()) == tasks;
    out += (out.empty() ? "" : "; ") + kind + ": " +
           (every_task ? "every task of an accuracy in this table" : join(subjects));
  }
  return out;
}

// The "; "-separated clauses of a protocol.
std::vector<std::string> clauses(const std::string& protocol) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (std::size_t end = protocol.find("; "); end != std::string::npos;
       end = protocol.find("; ", at)) {
    out.push_back(protocol.substr(at, end - at));
    at = end + 2;
  }
  out.push_back(protocol.substr(at));
  return out;
}

// Long clauses that two protocols or more share, in order of first appearance: each is written
// once below the table and referred to by its number.
std::vector<std::string> shared_clauses(const std::vector<std::string>& protocols) {
  constexpr std::size_t kLongClause = 40;
  std::map<std::string, int> protocols_with;
  std::vector<std::string> order;
  for (const std::string& protocol : protocols) {
    std::set<std::string> here;
    for (const std::string& clause : clauses(protocol)) {
      if (clause.size() < kLongClause || !here.insert(clause).second) continue;
      if (protocols_with[clause]++ == 0) order.push_back(clause);
    }
  }
  std::vector<std::string> shared;
  for (const std::string& clause : order) {
    if (protocols_with[clause] > 1) shared.push_back(clause);
  }
  return shared;
}

}  // namespace

void ReportWriter::appendix() {
  doc_.heading(2, kAppendixProtocols);
  doc_.paragraph(
      "How each metric was measured, each protocol once with the metrics that follow it; "
      "{task} stands for each metric's own task.");
  std::vector<std::pair<std::string, std::vector<MetricName>>> protocols;
  std::set<std::pair<MetricName, std::string>> seen;
  for (const ExperimentResult& e : results_.all) {
    for (const MetricValue& m : e.metrics) {
      if (!seen.insert({m.name, m.protocol}).second) continue;
      const std::string protocol = generic_protocol(m.protocol, m.name.subject);
      auto slot = std::find_if(protocols.begin(), protocols.end(),
                               [&](const auto& p) { return p.first == protocol; });
      if (slot == protocols.end()) slot = protocols.insert(protocols.end(), {protocol, {}});
      if (std::find(slot->second.begin(), slot->second.end(), m.name) == slot->second.end()) {
        slot->second.push_back(m.name);
      }
    }
  }
  std::vector<std::string> texts;
  std::set<std::string> accuracy_tasks;  // the tasks a chance level belongs to
  for (const auto& [protocol, names] : protocols) {
    texts.push_back(protocol);
    for (const MetricName& name : names) {
      if (name.kind == MetricKind::kAcc || name.kind == MetricKind::kAccNorm ||
          name.kind == MetricKind::kAccuracy) {
        accuracy_tasks.insert(name.subject);
      }
    }
  }
  const std::vector<std::string> shared = shared_clauses(texts);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [protocol, names] : protocols) {
    std::string text;
    for (const std::string& clause : clauses(protocol)) {
      const auto at = std::find(shared.begin(), shared.end(), clause);
      text += (text.empty() ? "" : "; ") +
              (at == shared.end() ? clause : concat("[", at - shared.begin() + 1, "]"));
    }
    rows.push_back({text, metrics_by_kind(names, accuracy_tasks)});
  }
  doc_.table({"protocol", "metrics"}, rows);
  if (!shared.empty()) {
    std::vector<std::string> notes;
    for (std::size_t i = 0; i < shared.size(); ++i)
      notes.push_back(concat("[", i + 1, "] ", shared[i]));
    doc_.paragraph("Clauses that several protocols share, numbered in the table above:");
    doc_.list(notes);
  }

  doc_.heading(2, kAppendixMetrics);
  doc_.paragraph(
      "The uncompressed models' metrics that enter no law: perplexities (the exponential of "
      "their loss), and each task and paradigm of which the laws see only the average or the "
      "group.");
  base_table(/*entering_laws=*/false);
}

}  // namespace claw::study

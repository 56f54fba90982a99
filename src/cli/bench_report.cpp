#include "cli/bench_report.h"

#include <cstdio>
#include <string>

#include "bench/statistics.h"
#include "core/format.h"

namespace claw::cli {
namespace {

using bench::spread_text;

std::string bytes_text(const Json& bytes) {
  return byte_size(bytes.get<std::int64_t>());
}

void print_model_line(const char* role, const Json& m) {
  std::printf("%-6s %s\n", role, m["path"].get<std::string>().c_str());
  if (const auto gguf = m.find("gguf"); gguf != m.end()) {
    std::printf("       GGUF %s %s, tensors %s, %s read per decoded token",
                (*gguf)["architecture"].get<std::string>().c_str(),
                (*gguf)["type"].get<std::string>().c_str(),
                bytes_text((*gguf)["tensor_bytes"]).c_str(),
                bytes_text((*gguf)["decode_bytes_per_token"]).c_str());
    if ((*gguf)["padding_bytes"].get<std::int64_t>() > 0) {
      std::printf(" (and %s of zeros the export pads in)",
                  bytes_text((*gguf)["padding_bytes"]).c_str());
    }
    std::printf("\n");
    return;
  }
  std::printf("       %s, weights %s, %s read per decoded token\n",
              m["dtype"].get<std::string>().c_str(), bytes_text(m["weight_bytes"]).c_str(),
              bytes_text(m["decode_bytes_per_token"]).c_str());
}

void print_speedup(const char* name, const Json& s) {
  std::printf("  %-16s %-30s ideal %.3fx", name, (spread_text(s["measured"], "%.3f") + "x").c_str(),
              s["ideal"].get<double>());
  if (!s["share_of_ideal_gain"].is_null()) {
    std::printf(": %.0f%% of it, %.0f%% of its gain", 100 * s["ratio_to_ideal"].get<double>(),
                100 * s["share_of_ideal_gain"].get<double>());
  }
  std::printf("\n");
}

}  // namespace

void print_speed_report(const Json& record) {
  const Json& models = record["models"];
  const bool compared = models.contains("base");
  // Models that did not fit together alternate per repetition, each loaded for its turn.
  const bool in_turns = record.value("models_in_memory", "together") == "one at a time";
  std::printf(
      "speed in %s on %s, %d threads: %d reps after %d warm-up, models alternating%s; "
      "median [min, max]\n",
      record["engine"].get<std::string>().c_str(), record["device"].get<std::string>().c_str(),
      record["threads"].get<int>(), record["reps"].get<int>(), record["warmup"].get<int>(),
      in_turns ? " (one in memory at a time, loaded for each repetition)" : "");
  if (const auto busy = record.find("busy"); busy != record.end()) {
    std::printf("note: %s\n", busy->get<std::string>().c_str());
  }
  if (compared) print_model_line("base", models["base"]);
  print_model_line("model", models["model"]);

  for (const Json& s : record["settings"]) {
    std::printf("\nbatch %lld, prefill %lld tokens, then %lld decoded\n",
                s["batch"].get<long long>(), s["prefill"].get<long long>(),
                record["decode"].get<long long>());
    std::printf("  %-16s", "");
    if (compared) std::printf(" %-30s", "base");
    std::printf(" %s\n", "model");
    auto row = [&](const char* label, const char* key, const char* format) {
      std::printf("  %-16s", label);
      if (compared) std::printf(" %-30s", spread_text(s["base"][key], format).c_str());
      std::printf(" %s\n", spread_text(s["model"][key], format).c_str());
    };
    row("prefill tok/s", "prefill_tokens_per_s", "%.1f");
    row("first token ms", "first_token_ms", "%.1f");
    row("decode tok/s", "decode_tokens_per_s", "%.1f");
    if (s["model"].contains("peak_memory_bytes")) {  // claw's engine measures its tensors
      std::printf("  %-16s", "peak memory");
      if (compared) std::printf(" %-30s", bytes_text(s["base"]["peak_memory_bytes"]).c_str());
      std::printf(" %s\n", bytes_text(s["model"]["peak_memory_bytes"]).c_str());
    }
    if (compared) {
      print_speedup("prefill speedup", s["speedup"]["prefill"]);
      print_speedup("decode speedup", s["speedup"]["decode"]);
    }
  }
}

}  // namespace claw::cli

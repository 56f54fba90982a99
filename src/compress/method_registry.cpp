#include "compress/method_registry.h"

#include <algorithm>

#include "core/error.h"
#include "core/format.h"
#include "model/layout.h"

namespace claw::compress {

#define CLAW_METHOD(name) MethodInfo name##_method();
#include "compress/methods.def"
#undef CLAW_METHOD

std::string family_name(MethodFamily family) {
  return family == MethodFamily::kCalibrationFree ? "calibration-free" : "calibration-based";
}

std::vector<std::string> family_names() {
  return {family_name(MethodFamily::kCalibrationFree),
          family_name(MethodFamily::kCalibrationBased)};
}

const std::vector<MethodInfo>& registered_methods() {
  static const std::vector<MethodInfo> methods = [] {
    std::vector<MethodInfo> all = {
#define CLAW_METHOD(name) name##_method(),
#include "compress/methods.def"
#undef CLAW_METHOD
    };
    for (std::size_t i = 0; i < all.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        CLAW_CHECK(all[i].name != all[j].name, "method ", all[i].name, " is registered twice");
      }
    }
    return all;
  }();
  return methods;
}

const MethodInfo* find_method(const std::string& name) {
  for (const MethodInfo& info : registered_methods()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

const MethodInfo& method_info(const std::string& name) {
  const MethodInfo* info = find_method(name);
  CLAW_CHECK(info != nullptr, "unknown compression method '", name,
             "'; known methods: ", method_names_help());
  return *info;
}

std::string method_names_help() {
  return join(registered_methods(),
              [](const MethodInfo& m) -> const std::string& { return m.name; });
}

std::string ratio_meanings_help() {
  std::vector<std::pair<std::string, std::vector<std::string>>> meanings;
  for (const MethodInfo& m : registered_methods()) {
    const auto same = std::find_if(meanings.begin(), meanings.end(),
                                   [&](const auto& seen) { return seen.first == m.ratio_meaning; });
    if (same != meanings.end()) {
      same->second.push_back(m.name);
    } else {
      meanings.push_back({m.ratio_meaning, {m.name}});
    }
  }
  std::string help;
  for (const auto& [meaning, names] : meanings) {
    help += concat(help.empty() ? "" : "; ", meaning, " (", join(names), ")");
  }
  return help;
}

std::unique_ptr<CompressionMethod> make_method(const std::string& name, const Json& options,
                                               const CompressionContext& context,
                                               const model::ModelConfig& config) {
  const MethodInfo& info = method_info(name);
  return info.make(info.options.complete(options), context, config);
}

double removed_parameter_fraction(const model::ModelConfig& before,
                                  const model::ModelConfig& after) {
  const auto b = static_cast<double>(model::count_parameters(before).without_embeddings());
  const auto a = static_cast<double>(model::count_parameters(after).without_embeddings());
  return b > 0 ? (b - a) / b : 0.0;
}

}  // namespace claw::compress

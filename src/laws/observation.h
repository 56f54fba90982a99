// One measured outcome of a compression experiment, as the law sees it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace claw::laws {

struct Observation {
  std::string model, task, method, metric;
  double ratio = 0;   // r in [0, 1)
  double tokens = 0;  // recovery tokens D (0: no recovery)
  // How recovery trained, when a study compares objectives ("lm", "kd"); each is fitted apart.
  std::string objective;
  double value = 0;       // the metric after compression and recovery, L
  double base_value = 0;  // the same metric of the uncompressed model, L0
  // For an accuracy: the accuracy of a uniform guess, and L0's standard error, which tell whether
  // the base model is above chance at all (chance.h).
  std::optional<double> chance, base_std_error;
  std::int64_t line = 0;  // where it was read, for messages
  std::string source;

  // "model/task": the models and datasets whose L0 differ, each a frontier of the law.
  std::string frontier() const { return model + "/" + task; }
  // "file:line" for messages.
  std::string where() const { return source + ":" + std::to_string(line); }
};

}  // namespace claw::laws

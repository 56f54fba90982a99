// Where datasets and the embedded default model live (docs/architecture.md, "Data"): --data-dir,
// then $CLAW_DATA, then ../shared/data beside the repository root, then the per-user data
// directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace claw {

// Set by --data-dir; takes precedence over everything else.
void set_data_dir_override(const std::filesystem::path& dir);

// The first existing candidate; an error listing every candidate tried if none exists.
std::filesystem::path data_dir();

// A path inside the data directory; an error naming the full path if it does not exist.
std::filesystem::path data_file(const std::filesystem::path& relative);

// `name` as given when it exists; otherwise the model of that name under <data>/models/NAME
// (a HF directory, or NAME.bin inside it). Empty when neither exists.
std::optional<std::filesystem::path> resolve_model_name(const std::string& name);

}  // namespace claw

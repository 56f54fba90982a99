#include "model/save.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "model/torch_tensors.h"

namespace claw::model {
namespace fs = std::filesystem;

void write_model_dir(const ModelConfig& config, torch::ScalarType dtype,
                     const std::function<torch::Tensor(const TensorSpec&)>& produce,
                     const fs::path& out, const SaveOptions& options) {
  for (const auto& [source, name] : options.extra_files) {
    CLAW_CHECK(!path_within(source, out), out.string(), ": the output would overwrite the input ",
               source.string());
  }
  AtomicDirectory dir(out, options.replace);
  std::vector<io::TensorEntry> entries;
  for (const TensorSpec& spec : tensor_layout(config)) {
    entries.push_back({spec.name, to_io_dtype(dtype), spec.shape, [&produce, spec, dtype] {
                         const torch::Tensor t = produce(spec);
                         CLAW_CHECK(t.sizes().vec() == spec.shape, "tensor '", spec.name,
                                    "' does not have the shape its config implies");
                         return tensor_bytes(t, dtype);
                       }});
  }
  io::write_hf_checkpoint(dir.staging(), config_to_hf(config, torch_dtype_name(dtype)), entries,
                          options.max_shard_bytes);
  for (const auto& [source, name] : options.extra_files) {
    std::error_code ec;
    const fs::path copy = dir.staging() / name;
    fs::copy_file(source, copy, ec);
    CLAW_CHECK(!ec, source.string(), ": cannot copy into ", out.string(), ": ", ec.message());
    // The output is the user's to modify, even when the source was read-only.
    fs::permissions(copy, fs::perms::owner_write, fs::perm_options::add, ec);
  }
  for (const auto& [name, contents] : options.generated_files) {
    write_file_atomic(dir.staging() / name, contents);
  }
  if (options.write_more) options.write_more(dir.staging());
  dir.commit();
}

void save_model(const Model& model, const fs::path& out, const SaveOptions& options) {
  write_model_dir(
      model.config, options.dtype.value_or(model.dtype()),
      [&model](const TensorSpec& spec) { return tensor_slot(model, spec); }, out, options);
}

}  // namespace claw::model

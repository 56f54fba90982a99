#include "io/tensor_view.h"

namespace claw::io {

std::size_t TensorEntry::nbytes() const {
  std::size_t n = dtype_size(dtype);
  for (std::int64_t d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

TensorEntry entry_from_view(std::string name, const TensorView& view) {
  return TensorEntry{std::move(name), view.dtype, view.shape, [view] {
                       return OwnedBytes{nullptr, view.data, view.nbytes};
                     }};
}

}  // namespace claw::io

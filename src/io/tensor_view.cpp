#include "io/tensor_view.h"

namespace claw::io {

std::size_t TensorEntry::nbytes() const {
  return static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype);
}

TensorEntry entry_from_view(std::string name, const TensorView& view) {
  return TensorEntry{std::move(name), view.dtype, view.shape, [view] {
                       return OwnedBytes{nullptr, view.data, view.nbytes};
                     }};
}

}  // namespace claw::io

// What the file-format tests compare: a tensor view's bytes as a string.
#pragma once

#include <string>

#include "io/tensor_view.h"

namespace claw::testing {

inline std::string view_bytes(const io::TensorView& view) {
  return std::string(reinterpret_cast<const char*>(view.data), view.nbytes);
}

}  // namespace claw::testing

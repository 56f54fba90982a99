// The pre-tokenizer of a byte-level tokenizer.json: regex splits into words that BPE never
// merges across (Qwen2's and Llama-3's patterns), then the ByteLevel step.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "text/regex.h"

namespace claw::text {

class PreTokenizer {
 public:
  // The "pre_tokenizer" node: Split (Regex or String pattern, Isolated behaviour), ByteLevel, or
  // a Sequence of them, which must contain a ByteLevel step. Anything else is refused.
  static PreTokenizer from_json(const Json& node, const std::string& source);

  // Calls on_piece for every piece of `text`, in order. The pieces are raw bytes: the ByteLevel
  // step's character mapping is applied to the vocabulary at load time instead.
  void for_each_piece(std::string_view text,
                      const std::function<void(std::string_view)>& on_piece) const;

 private:
  // One step: an optional space before each piece (ByteLevel's add_prefix_space), then an
  // optional split where each match and each stretch between matches is a piece.
  struct Step {
    bool add_prefix_space = false;
    std::shared_ptr<const Regex> split;
  };

  void visit(std::size_t step, std::string_view text,
             const std::function<void(std::string_view)>& on_piece) const;
  // Applies step `step`'s split to `text` and visits the next step with each piece.
  void split(std::size_t step, std::string_view text,
             const std::function<void(std::string_view)>& on_piece) const;

  std::vector<Step> steps_;
};

}  // namespace claw::text

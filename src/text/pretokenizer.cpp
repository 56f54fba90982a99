#include "text/pretokenizer.h"

#include "core/error.h"

namespace claw::text {
namespace {

// The pattern ByteLevel applies when its use_regex is true (GPT-2's).
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// PCRE2 treats these characters specially; a String pattern must match them literally.
std::string escape_literal(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) escaped += '\\';
    escaped += c;
  }
  return escaped;
}

std::shared_ptr<const Regex> split_regex(const Json& node, const std::string& source) {
  const std::string behavior = json_required<std::string>(node, "behavior", source);
  CLAW_CHECK(behavior == "Isolated", source, ": Split behavior '", behavior,
             "' is not supported (claw supports Isolated)");
  CLAW_CHECK(!json_optional<bool>(node, "invert", false, source), source,
             ": Split with invert=true is not supported");
  const Json& pattern = node.value("pattern", Json());
  CLAW_CHECK(pattern.is_object(), source, ": Split needs a 'pattern' object");
  if (pattern.contains("Regex")) {
    return std::make_shared<Regex>(json_required<std::string>(pattern, "Regex", source), source);
  }
  return std::make_shared<Regex>(
      escape_literal(json_required<std::string>(pattern, "String", source)), source);
}

}  // namespace

PreTokenizer PreTokenizer::from_json(const Json& node, const std::string& source) {
  CLAW_CHECK(!node.is_null(), source,
             ": no pre_tokenizer; claw supports byte-level BPE, which needs a ByteLevel step");
  std::vector<Json> nodes;
  if (json_required<std::string>(node, "type", source) == "Sequence") {
    const Json& list = node.value("pretokenizers", Json());
    CLAW_CHECK(list.is_array(), source, ": a Sequence pre_tokenizer needs a 'pretokenizers' list");
    nodes.assign(list.begin(), list.end());
  } else {
    nodes.push_back(node);
  }

  PreTokenizer result;
  bool byte_level = false;
  for (const Json& step : nodes) {
    const std::string type = json_required<std::string>(step, "type", source);
    if (type == "Split") {
      result.steps_.push_back({false, split_regex(step, source)});
    } else if (type == "ByteLevel") {
      CLAW_CHECK(!byte_level, source, ": more than one ByteLevel pre_tokenizer");
      byte_level = true;
      std::shared_ptr<const Regex> regex;
      if (json_optional<bool>(step, "use_regex", true, source)) {
        regex = std::make_shared<Regex>(kGpt2Pattern, source);
      }
      result.steps_.push_back(
          {json_optional<bool>(step, "add_prefix_space", false, source), std::move(regex)});
    } else {
      CLAW_FAIL(source, ": pre_tokenizer '", type,
                "' is not supported (claw supports Split, ByteLevel and Sequence)");
    }
  }
  CLAW_CHECK(byte_level, source,
             ": the pre_tokenizer has no ByteLevel step; claw supports byte-level BPE only");
  return result;
}

void PreTokenizer::for_each_piece(std::string_view text,
                                  const std::function<void(std::string_view)>& on_piece) const {
  visit(0, text, on_piece);
}

void PreTokenizer::visit(std::size_t step, std::string_view text,
                         const std::function<void(std::string_view)>& on_piece) const {
  if (text.empty()) return;
  if (step == steps_.size()) {
    on_piece(text);
    return;
  }
  if (steps_[step].add_prefix_space && text.front() != ' ') {
    // As HF's ByteLevel does, the space goes before every piece that lacks one.
    split(step, " " + std::string(text), on_piece);
  } else {
    split(step, text, on_piece);
  }
}

void PreTokenizer::split(std::size_t step, std::string_view text,
                         const std::function<void(std::string_view)>& on_piece) const {
  const Regex* regex = steps_[step].split.get();
  if (regex == nullptr) {
    visit(step + 1, text, on_piece);
    return;
  }
  std::size_t done = 0;
  regex->for_each_match(text, [&](std::size_t begin, std::size_t end) {
    visit(step + 1, text.substr(done, begin - done), on_piece);
    visit(step + 1, text.substr(begin, end - begin), on_piece);
    done = end;
  });
  visit(step + 1, text.substr(done), on_piece);
}

}  // namespace claw::text

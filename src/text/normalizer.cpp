#include "text/normalizer.h"

#include <cstdlib>
#include <memory>
#include <optional>

#include <utf8proc.h>

#include "core/error.h"
#include "text/utf8.h"

namespace claw::text {
namespace {

std::optional<Normalizer::Form> form_named(const std::string& type) {
  if (type == "NFC") return Normalizer::Form::kNfc;
  if (type == "NFD") return Normalizer::Form::kNfd;
  if (type == "NFKC") return Normalizer::Form::kNfkc;
  if (type == "NFKD") return Normalizer::Form::kNfkd;
  return std::nullopt;
}

void collect_forms(const Json& node, const std::string& source,
                   std::vector<Normalizer::Form>& forms) {
  if (node.is_null()) return;
  const std::string type = json_required<std::string>(node, "type", source);
  if (type == "Sequence") {
    const Json& steps = node.value("normalizers", Json());
    CLAW_CHECK(steps.is_array(), source, ": a Sequence normalizer needs a 'normalizers' list");
    for (const Json& step : steps) collect_forms(step, source, forms);
    return;
  }
  const std::optional<Normalizer::Form> form = form_named(type);
  CLAW_CHECK(form.has_value(), source, ": normalizer '", type,
             "' is not supported (claw supports NFC, NFD, NFKC, NFKD and Sequences of them)");
  forms.push_back(*form);
}

utf8proc_option_t options_of(Normalizer::Form form) {
  const int stable = UTF8PROC_STABLE;
  switch (form) {
    case Normalizer::Form::kNfc:
      return static_cast<utf8proc_option_t>(stable | UTF8PROC_COMPOSE);
    case Normalizer::Form::kNfd:
      return static_cast<utf8proc_option_t>(stable | UTF8PROC_DECOMPOSE);
    case Normalizer::Form::kNfkc:
      return static_cast<utf8proc_option_t>(stable | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    case Normalizer::Form::kNfkd:
      return static_cast<utf8proc_option_t>(stable | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  }
  return UTF8PROC_STABLE;
}

// Normalizes a run of valid UTF-8.
void normalize_valid(std::string_view run, Normalizer::Form form, std::string& out) {
  if (utf8::is_ascii(run)) {  // ASCII is invariant under every normalization form
    out += run;
    return;
  }
  utf8proc_uint8_t* result = nullptr;
  const utf8proc_ssize_t length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(run.data()),
                   static_cast<utf8proc_ssize_t>(run.size()), &result, options_of(form));
  const std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(result, &std::free);
  CLAW_CHECK(length >= 0, "Unicode normalization failed: ", utf8proc_errmsg(length));
  out.append(reinterpret_cast<const char*>(result), static_cast<std::size_t>(length));
}

std::string normalize(std::string_view text, Normalizer::Form form) {
  std::string out;
  out.reserve(text.size());
  std::size_t run_start = 0, pos = 0;
  while (pos < text.size()) {
    const std::size_t length = utf8::sequence_length(text, pos);
    if (length > 0) {
      pos += length;
      continue;
    }
    normalize_valid(text.substr(run_start, pos - run_start), form, out);
    out += text[pos];  // the invalid byte, untouched
    run_start = ++pos;
  }
  normalize_valid(text.substr(run_start), form, out);
  return out;
}

}  // namespace

Normalizer Normalizer::from_json(const Json& node, const std::string& source) {
  std::vector<Form> forms;
  collect_forms(node, source, forms);
  return Normalizer(std::move(forms));
}

std::string Normalizer::apply(std::string_view text) const {
  std::string result(text);
  for (Form form : forms_) result = normalize(result, form);
  return result;
}

}  // namespace claw::text

#include "io/llama2c.h"

#include <climits>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace claw::io {
namespace {

// Later llama2.c exports start with this magic ("ak42") and a version number.
constexpr std::uint32_t kVersionedExportMagic = 0x616b3432;
constexpr std::size_t kHeaderInts = 7;

template <typename T>
T read_scalar(const std::byte* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

std::int64_t checked_product(std::initializer_list<std::int64_t> factors,
                             const std::string& source) {
  std::int64_t n = 1;
  for (std::int64_t f : factors) {
    CLAW_CHECK(!__builtin_mul_overflow(n, f, &n), source, ": header sizes are implausibly large");
  }
  return n;
}

}  // namespace

Llama2cCheckpoint::Llama2cCheckpoint(const std::filesystem::path& path) : file_(path) {
  const std::string source = path.string();
  const std::byte* bytes = file_.data();
  CLAW_CHECK(file_.size() >= kHeaderInts * 4, source, ": truncated: ", file_.size(),
             " bytes is too short for a llama2.c checkpoint header");
  const auto magic = read_scalar<std::uint32_t>(bytes);
  CLAW_CHECK(
      magic != kVersionedExportMagic, source, ": a llama2.c version-",
      read_scalar<std::int32_t>(bytes + 4),
      " export; only the legacy float32 export (llama2.c export.py --version 0) is supported");

  std::int32_t h[kHeaderInts];
  std::memcpy(h, bytes, sizeof h);
  CLAW_CHECK(h[5] != INT32_MIN, source, ": vocab_size ", h[5], " is not a vocabulary size");
  header_ = {h[0], h[1], h[2], h[3], h[4], h[5] < 0 ? -h[5] : h[5], h[6], h[5] > 0};
  const Llama2cHeader& c = header_;
  CLAW_CHECK(c.dim > 0 && c.hidden_dim > 0 && c.n_layers > 0 && c.n_heads > 0 && c.n_kv_heads > 0 &&
                 c.vocab_size > 0 && c.seq_len > 0,
             source, ": header fields must be positive (dim=", c.dim, " hidden_dim=", c.hidden_dim,
             " n_layers=", c.n_layers, " n_heads=", c.n_heads, " n_kv_heads=", c.n_kv_heads,
             " vocab_size=", h[5], " seq_len=", c.seq_len, "); is this a llama2.c checkpoint?");
  CLAW_CHECK(c.dim % c.n_heads == 0 && (c.dim / c.n_heads) % 2 == 0, source, ": dim ", c.dim,
             " must split into ", c.n_heads, " heads of even size");
  CLAW_CHECK(c.n_heads % c.n_kv_heads == 0, source, ": n_heads ", c.n_heads,
             " is not a multiple of n_kv_heads ", c.n_kv_heads);

  const std::int64_t D = c.dim, H = c.hidden_dim, L = c.n_layers, V = c.vocab_size;
  const std::int64_t KV = D / c.n_heads * c.n_kv_heads;
  const std::int64_t head_size = D / c.n_heads;
  struct Layout {
    const char* name;
    std::vector<std::int64_t> shape;
  };
  std::vector<Layout> layout = {
      {"token_embedding", {V, D}},
      {"rms_att", {L, D}},
      {"wq", {L, D, D}},
      {"wk", {L, KV, D}},
      {"wv", {L, KV, D}},
      {"wo", {L, D, D}},
      {"rms_ffn", {L, D}},
      {"w1", {L, H, D}},
      {"w2", {L, D, H}},
      {"w3", {L, H, D}},
      {"rms_final", {D}},
      // The legacy export still writes the RoPE tables that run.c no longer reads.
      {"freq_cis_real", {c.seq_len, head_size / 2}},
      {"freq_cis_imag", {c.seq_len, head_size / 2}},
  };
  if (!c.shared_classifier) layout.push_back({"wcls", {V, D}});

  std::int64_t expected_floats = 0;
  for (const Layout& t : layout) {
    std::int64_t n = 1;
    for (std::int64_t d : t.shape) n = checked_product({n, d}, source);
    CLAW_CHECK(!__builtin_add_overflow(expected_floats, n, &expected_floats), source,
               ": header sizes are implausibly large");
  }
  const std::int64_t expected_bytes =
      checked_product({expected_floats, 4}, source) + kHeaderInts * 4;
  CLAW_CHECK(static_cast<std::int64_t>(file_.size()) == expected_bytes, source, ": size ",
             file_.size(), " bytes does not match the header, which implies ", expected_bytes,
             " bytes (", c.shared_classifier ? "tied" : "untied", " classifier)");

  const std::byte* cursor = bytes + kHeaderInts * 4;
  for (Layout& t : layout) {
    TensorView view{DType::kF32, std::move(t.shape), cursor, 0};
    view.nbytes = static_cast<std::size_t>(view.numel()) * 4;
    cursor += view.nbytes;
    tensors_.emplace(t.name, std::move(view));
  }
}

Llama2cVocab read_llama2c_tokenizer(const std::filesystem::path& path) {
  const MappedFile file(path);
  const std::string source = path.string();
  const std::byte* p = file.data();
  const std::byte* end = p + file.size();
  CLAW_CHECK(file.size() >= 4, source, ": truncated: too short for a llama2.c tokenizer");
  Llama2cVocab vocab;
  vocab.max_token_length = read_scalar<std::int32_t>(p);
  p += 4;
  CLAW_CHECK(vocab.max_token_length > 0 && vocab.max_token_length < (1 << 16), source,
             ": max_token_length ", vocab.max_token_length, " is not plausible for a tokenizer");
  while (p < end) {
    const std::size_t index = vocab.pieces.size();
    CLAW_CHECK(end - p >= 8, source, ": truncated in entry ", index);
    const auto score = read_scalar<float>(p);
    const auto length = read_scalar<std::int32_t>(p + 4);
    p += 8;
    CLAW_CHECK(std::isfinite(score), source, ": entry ", index, " has a non-finite score");
    CLAW_CHECK(length >= 0 && length <= vocab.max_token_length && length <= end - p, source,
               ": entry ", index, " has length ", length, " (max_token_length ",
               vocab.max_token_length, ", ", end - p, " bytes left)");
    vocab.pieces.emplace_back(reinterpret_cast<const char*>(p), static_cast<std::size_t>(length));
    vocab.scores.push_back(score);
    p += length;
  }
  // llama2.c's ids 0, 1, 2 are always <unk>, <s>, </s>.
  CLAW_CHECK(vocab.pieces.size() >= 3, source, ": holds ", vocab.pieces.size(),
             " tokens; a llama2.c vocabulary starts with <unk>, <s> and </s>");
  return vocab;
}

}  // namespace claw::io

// A llama.cpp model and context opened through llama.cpp's public C API only (llama.h), for
// llama_cpp_driver. Nothing of claw is used here: the driver stands for what any llama.cpp user
// gets from a GGUF file.
#pragma once

#include <llama.h>

#include <cstdint>
#include <string>
#include <vector>

namespace llama_cpp_driver {

// Loads the ggml backends once: the CPU library variant that suits this processor
// (libggml-cpu-<isa>.so, chosen by ggml's backend registry) from `library_dir`. Returns that
// library's file name, for the record.
std::string load_cpu_backend(const std::string& library_dir);

// llama.cpp reports why something failed in its log, not in return values: the first line it
// logs at error level is kept for the driver's one-line message. The log itself is dropped
// unless `verbose`.
void capture_log(bool verbose);
std::string first_log_error();

struct ContextOptions {
  std::uint32_t n_ctx = 512;
  std::uint32_t n_batch = 512;  // tokens per llama_decode call, also the physical batch
  int threads = 2;
  // Full-precision attention (float32 KV cache, no flash attention) for exact comparisons;
  // otherwise llama.cpp's defaults, as a user gets them.
  bool exact = false;
};

class Session {
 public:
  // Throws std::runtime_error naming the file and llama.cpp's reason when the model fails to load.
  Session(const std::string& model_path, const ContextOptions& options, bool vocab_only = false);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const llama_vocab* vocab() const { return vocab_; }
  int n_vocab() const { return llama_vocab_n_tokens(vocab_); }

  std::vector<llama_token> tokenize(const std::string& text, bool add_special,
                                    bool parse_special) const;
  // Clears the KV cache.
  void reset();
  // Runs `tokens` at positions [start, start + size) in sequence 0, in chunks of n_batch, with
  // logits at the last one and, when `logits_stride` > 0, at every token i with (i + 1) a
  // multiple of it (1: every token). Returns the logits of the tokens that have them,
  // [tokens][n_vocab] row-major.
  std::vector<float> decode(const std::vector<llama_token>& tokens, int start,
                            int logits_stride = 0);

 private:
  llama_model* model_ = nullptr;
  llama_context* context_ = nullptr;
  const llama_vocab* vocab_ = nullptr;
  std::uint32_t n_batch_ = 0;
};

}  // namespace llama_cpp_driver

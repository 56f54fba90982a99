#include "llama_session.h"

#include <ggml-backend.h>
#include <link.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace llama_cpp_driver {
namespace {

bool g_verbose = false;
std::string g_first_error;

void on_log(ggml_log_level level, const char* text, void* /*user_data*/) {
  // The first error names the cause; those after it say what failed because of it.
  if (level == GGML_LOG_LEVEL_ERROR && g_first_error.empty()) {
    g_first_error = text;
    while (!g_first_error.empty() &&
           (g_first_error.back() == '\n' || g_first_error.back() == ' ')) {
      g_first_error.pop_back();
    }
  }
  if (g_verbose) std::fputs(text, stderr);
}

int find_cpu_library(dl_phdr_info* info, size_t /*size*/, void* data) {
  const char* name = info->dlpi_name;
  const char* base = name != nullptr ? std::strrchr(name, '/') : nullptr;
  base = base != nullptr ? base + 1 : name;
  if (base != nullptr && std::strncmp(base, "libggml-cpu", 11) == 0) {
    *static_cast<std::string*>(data) = base;
    return 1;
  }
  return 0;
}

}  // namespace

std::string load_cpu_backend(const std::string& library_dir) {
  if (ggml_backend_reg_count() == 0) ggml_backend_load_all_from_path(library_dir.c_str());
  std::string loaded;
  dl_iterate_phdr(find_cpu_library, &loaded);
  if (loaded.empty()) {
    throw std::runtime_error("no ggml CPU backend could be loaded from " + library_dir);
  }
  return loaded;
}

void capture_log(bool verbose) {
  g_verbose = verbose;
  llama_log_set(on_log, nullptr);
}

std::string first_log_error() {
  return g_first_error;
}

Session::Session(const std::string& model_path, const ContextOptions& options, bool vocab_only) {
  llama_model_params model_params = llama_model_default_params();
  model_params.vocab_only = vocab_only;
  model_ = llama_model_load_from_file(model_path.c_str(), model_params);
  if (model_ == nullptr) {
    const std::string why = first_log_error();
    throw std::runtime_error("llama.cpp cannot load " + model_path +
                             (why.empty() ? std::string() : ": " + why));
  }
  vocab_ = llama_model_get_vocab(model_);
  if (vocab_only) return;

  llama_context_params params = llama_context_default_params();
  params.n_ctx = options.n_ctx;
  params.n_batch = params.n_ubatch = n_batch_ = options.n_batch;
  params.n_seq_max = 1;
  params.n_threads = params.n_threads_batch = options.threads;
  params.no_perf = true;
  if (options.exact) {
    params.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    params.type_k = params.type_v = GGML_TYPE_F32;
  }
  context_ = llama_init_from_model(model_, params);
  if (context_ == nullptr) {
    llama_model_free(model_);
    throw std::runtime_error("llama.cpp cannot make a context for " + model_path + ": " +
                             first_log_error());
  }
}

Session::~Session() {
  if (context_ != nullptr) llama_free(context_);
  llama_model_free(model_);
}

std::vector<llama_token> Session::tokenize(const std::string& text, bool add_special,
                                           bool parse_special) const {
  std::vector<llama_token> tokens(text.size() + 8);
  int n = llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                         static_cast<int32_t>(tokens.size()), add_special, parse_special);
  if (n < 0) {
    if (n == INT32_MIN) throw std::runtime_error("llama_tokenize: too many tokens");
    tokens.resize(static_cast<std::size_t>(-n));
    n = llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                       static_cast<int32_t>(tokens.size()), add_special, parse_special);
  }
  if (n < 0) throw std::runtime_error("llama_tokenize failed");
  tokens.resize(static_cast<std::size_t>(n));
  return tokens;
}

void Session::reset() {
  llama_memory_clear(llama_get_memory(context_), true);
}

std::vector<float> Session::decode(const std::vector<llama_token>& tokens, int start,
                                   int logits_stride) {
  const int vocab = n_vocab();
  std::vector<float> logits;
  llama_batch batch = llama_batch_init(static_cast<int32_t>(n_batch_), 0, 1);
  for (std::size_t begin = 0; begin < tokens.size(); begin += n_batch_) {
    const std::size_t end = std::min(tokens.size(), begin + n_batch_);
    batch.n_tokens = static_cast<int32_t>(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      const std::size_t j = i - begin;
      batch.token[j] = tokens[i];
      batch.pos[j] = start + static_cast<llama_pos>(i);
      batch.n_seq_id[j] = 1;
      batch.seq_id[j][0] = 0;
      batch.logits[j] =
          i + 1 == tokens.size() || (logits_stride > 0 && (i + 1) % logits_stride == 0);
    }
    const int32_t status = llama_decode(context_, batch);
    if (status != 0) {
      llama_batch_free(batch);
      throw std::runtime_error("llama_decode failed (" + std::to_string(status) +
                               "): " + first_log_error());
    }
    for (std::size_t j = 0; j < end - begin; ++j) {
      if (batch.logits[j] == 0) continue;
      const float* row = llama_get_logits_ith(context_, static_cast<int32_t>(j));
      logits.insert(logits.end(), row, row + vocab);
    }
  }
  llama_batch_free(batch);
  return logits;
}

}  // namespace llama_cpp_driver

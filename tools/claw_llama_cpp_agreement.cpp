// claw_llama_cpp_agreement: how closely llama.cpp's logits of a model's GGUF export match claw's,
// for models too large for the test suite (the qwen2.5-0.5b shape and up).
//
//   claw_llama_cpp_agreement --model M --gguf F [--text FILE] [--tokens 512] [--threads 1]
//                            [--float64]
//
// The ids are the first --tokens of FILE (default WikiText-2's test split) under the model's
// tokenizer. claw computes float32 logits in this process; llama.cpp runs F through
// llama_cpp_driver (beside this program) with a float32 KV cache. Prints the largest absolute
// difference, the logits' scale, and with --float64 each engine's distance from a float64
// evaluation of the model in claw (its own rounding).
#include <ATen/Parallel.h>
#include <torch/types.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bench/llama_cpp_speed.h"
#include "cli/run_main.h"
#include "core/data_dir.h"
#include "core/error.h"
#include "core/subprocess.h"
#include "core/temporary_directory.h"
#include "core/text_file.h"
#include "model/decoder.h"
#include "model/load.h"
#include "text/load_tokenizer.h"

namespace {

namespace fs = std::filesystem;
using namespace claw;

struct Options {
  std::string model, gguf, text;
  int tokens = 512;
  int threads = 1;
  bool float64 = false;
};

std::vector<std::int64_t> token_ids(const Options& o) {
  const model::ModelConfig config = model::read_model_config(o.model);
  const auto tokenizer_path = text::find_tokenizer_beside(o.model, config.vocab_size);
  CLAW_CHECK(tokenizer_path.has_value(), o.model, ": no tokenizer beside it");
  const fs::path text_path =
      o.text.empty() ? data_file("wikitext-2-raw/wiki.test.raw") : fs::path(o.text);
  std::string text = read_text_file(text_path);
  text.resize(std::min<std::size_t>(text.size(), static_cast<std::size_t>(o.tokens) * 16));
  const std::vector<std::int32_t> ids = text::load_tokenizer(*tokenizer_path)->encode(text, {});
  CLAW_CHECK(static_cast<int>(ids.size()) >= o.tokens, text_path.string(), " gives only ",
             ids.size(), " tokens");
  return {ids.begin(), ids.begin() + o.tokens};
}

torch::Tensor llama_cpp_logits(const Options& o, const std::vector<std::int64_t>& ids) {
  const TemporaryDirectory scratch("claw-agreement-");
  std::string line;
  for (const std::int64_t id : ids) line += std::to_string(id) + ' ';
  std::ofstream(scratch / "ids") << line;
  const CommandOutput result =
      run_command({bench::llama_cpp_driver().string(), "logits", o.gguf, (scratch / "ids").string(),
                   (scratch / "logits").string(), "--threads", std::to_string(o.threads)});
  CLAW_CHECK(result.exit_code == 0, "llama.cpp: ", result.last_line());
  std::ifstream in(scratch / "logits", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto positions = static_cast<std::int64_t>(ids.size());
  const auto count = static_cast<std::int64_t>(bytes.size() / sizeof(float));
  return torch::from_blob(const_cast<char*>(bytes.data()), {positions, count / positions},
                          torch::kFloat32)
      .clone();
}

torch::Tensor claw_logits(const Options& o, const std::vector<std::int64_t>& ids,
                          torch::ScalarType dtype) {
  const model::Model model = model::load_model(o.model, {torch::kCPU, dtype});
  torch::NoGradGuard no_grad;
  return model::forward(model, torch::tensor(ids).unsqueeze(0)).squeeze(0);
}

double largest_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

void run(const Options& o) {
  at::set_num_threads(o.threads);
  const std::vector<std::int64_t> ids = token_ids(o);
  const torch::Tensor theirs = llama_cpp_logits(o, ids);
  const torch::Tensor ours = claw_logits(o, ids, torch::kFloat32);
  CLAW_CHECK(theirs.sizes() == ours.sizes(), "llama.cpp gave logits of another shape");
  std::printf("%s: %zu tokens, max |llama.cpp - claw| = %.3g (logits up to %.3g)\n", o.gguf.c_str(),
              ids.size(), largest_difference(theirs, ours), ours.abs().max().item<double>());
  if (o.float64) {
    const torch::Tensor exact = claw_logits(o, ids, torch::kDouble);
    std::printf("  against float64 in claw: claw %.3g, llama.cpp %.3g\n",
                largest_difference(ours, exact), largest_difference(theirs, exact));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"claw_llama_cpp_agreement: llama.cpp's logits of a GGUF export against claw's"};
  Options o;
  app.add_option("--model", o.model, "the model as claw reads it")->required();
  app.add_option("--gguf", o.gguf, "its GGUF export")->required();
  app.add_option("--text", o.text, "text to take the tokens from (default WikiText-2 test)");
  app.add_option("--tokens", o.tokens, "sequence length")->capture_default_str();
  app.add_option("--threads", o.threads, "threads of both engines")->capture_default_str();
  app.add_flag("--float64", o.float64, "also compare each with a float64 evaluation");
  return cli::run_main("claw_llama_cpp_agreement", app, argc, argv, [&] { run(o); });
}

// llama_cpp_driver: runs a GGUF model in llama.cpp (its prebuilt CPU libraries, public API only)
// so that tests and bench/llama_cpp_bench can compare it with claw.
//
//   llama_cpp_driver tokenize MODEL.gguf TEXTFILE... [--bos] [--special]
//       token ids of each whole file on a line, as claw tokenize prints them: --bos adds the
//       model's BOS (llama.cpp's add_special), --special parses special-token text
//   llama_cpp_driver logits MODEL.gguf IDSFILE OUT [--threads T] [--stride K]
//       float32 logits [positions][vocab] of the whitespace-separated ids in IDSFILE, all in one
//       sequence, written raw to OUT: at every position, or with --stride K at every position i
//       with (i + 1) a multiple of K and the last (every token still runs through the model);
//       prints {"positions", "vocab", "cpu_backend"} as JSON
//   llama_cpp_driver bench MODEL.gguf [--threads 2] [--prefill 128,512] [--prompt 32]
//                    [--decode 64] [--reps 3] [--seed 0]
//       prefill tokens/s per prompt length (logits at the last position only) and batch-1
//       decode tokens/s (greedy, after a --prompt of random tokens), timed here around
//       llama_decode, one warm-up then --reps each; prints JSON
//
// --verbose passes llama.cpp's log through; --library-dir says where the ggml backend
// libraries are (default: the installation the driver was built against).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "llama_session.h"

namespace {

using llama_cpp_driver::ContextOptions;
using llama_cpp_driver::Session;
using Json = nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<llama_token> read_ids(const std::string& path) {
  std::istringstream words(read_file(path));
  std::vector<llama_token> ids;
  std::string word;
  while (words >> word) {
    std::size_t used = 0;
    long long id = -1;
    try {
      id = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != word.size() || id < 0)
      throw std::runtime_error(path + ": '" + word + "' is not a token id");
    ids.push_back(static_cast<llama_token>(id));
  }
  return ids;
}

// Several files in one call: loading a 150k-token vocabulary costs more than tokenizing a text.
void tokenize(const std::string& model, const std::vector<std::string>& text_paths, bool bos,
              bool special) {
  const Session session(model, {}, /*vocab_only=*/true);
  for (const std::string& text_path : text_paths) {
    const std::vector<llama_token> ids = session.tokenize(read_file(text_path), bos, special);
    std::string line;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) line += ' ';
      line += std::to_string(ids[i]);
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
}

Json logits(const std::string& model, const std::string& ids_path, const std::string& out_path,
            int threads, int stride) {
  if (stride < 1) throw std::runtime_error("--stride must be at least 1");
  const std::vector<llama_token> ids = read_ids(ids_path);
  if (ids.empty()) throw std::runtime_error(ids_path + ": no token ids");
  ContextOptions options;
  options.n_ctx = std::max<std::uint32_t>(512, static_cast<std::uint32_t>(ids.size()));
  options.n_batch = static_cast<std::uint32_t>(ids.size());
  options.threads = threads;
  options.exact = true;
  Session session(model, options);
  for (const llama_token id : ids) {
    if (id >= session.n_vocab()) {
      throw std::runtime_error(ids_path + ": id " + std::to_string(id) +
                               " is outside the vocabulary of " +
                               std::to_string(session.n_vocab()));
    }
  }
  const std::vector<float> values = session.decode(ids, 0, stride);
  std::ofstream out(out_path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(float)));
  if (!out.flush()) throw std::runtime_error("cannot write " + out_path);
  return {{"positions", values.size() / static_cast<std::size_t>(session.n_vocab())},
          {"vocab", session.n_vocab()}};
}

struct BenchOptions {
  int threads = 2;
  std::vector<int> prefill = {128, 512};
  int prompt = 32;
  int decode = 64;
  int reps = 3;
  unsigned seed = 0;
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One untimed call, then `reps` timed ones.
std::vector<double> repeat(int reps, const std::function<double()>& run) {
  run();
  std::vector<double> rates;
  for (int i = 0; i < reps; ++i) rates.push_back(run());
  return rates;
}

llama_token argmax(const std::vector<float>& row) {
  return static_cast<llama_token>(std::max_element(row.begin(), row.end()) - row.begin());
}

Json bench(const std::string& model, const BenchOptions& o) {
  const int longest = *std::max_element(o.prefill.begin(), o.prefill.end());
  ContextOptions options;
  options.n_ctx = static_cast<std::uint32_t>(std::max(longest, o.prompt + o.decode));
  options.n_batch = static_cast<std::uint32_t>(std::max(longest, o.prompt));
  options.threads = o.threads;
  Session session(model, options);
  std::mt19937 random(o.seed);
  std::uniform_int_distribution<llama_token> any_token(0, session.n_vocab() - 1);
  const auto random_tokens = [&](int n) {
    std::vector<llama_token> tokens(static_cast<std::size_t>(n));
    for (llama_token& t : tokens) t = any_token(random);
    return tokens;
  };

  Json prefill = Json::array();
  for (const int n : o.prefill) {
    const std::vector<llama_token> tokens = random_tokens(n);
    const std::vector<double> rates = repeat(o.reps, [&] {
      session.reset();
      const auto start = Clock::now();
      session.decode(tokens, 0);
      return n / seconds_since(start);
    });
    prefill.push_back({{"tokens", n}, {"tokens_per_s", rates}});
  }
  const std::vector<llama_token> prompt = random_tokens(o.prompt);
  const std::vector<double> decode = repeat(o.reps, [&] {
    session.reset();
    std::vector<float> logits = session.decode(prompt, 0);
    const auto start = Clock::now();
    for (int i = 0; i < o.decode; ++i) logits = session.decode({argmax(logits)}, o.prompt + i);
    return o.decode / seconds_since(start);
  });
  return {{"threads", o.threads},
          {"reps", o.reps},
          {"prefill", prefill},
          {"decode", {{"prompt", o.prompt}, {"steps", o.decode}, {"tokens_per_s", decode}}}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"llama_cpp_driver: a GGUF model in llama.cpp, for comparisons with claw"};
  app.require_subcommand(1);
  bool verbose = false;
  std::string library_dir = CLAW_LLAMA_CPP_LIBRARY_DIR;
  app.add_flag("--verbose", verbose, "pass llama.cpp's log through to stderr");
  app.add_option("--library-dir", library_dir, "directory of the ggml backend libraries")
      ->capture_default_str();

  std::string model, input, output;
  bool bos = false, special = false;
  std::vector<std::string> texts;
  CLI::App* tok = app.add_subcommand("tokenize", "token ids of text files, a line each");
  tok->add_option("model", model, "GGUF file")->required();
  tok->add_option("texts", texts, "text files, each read as one text")->required();
  tok->add_flag("--bos", bos, "add the model's BOS token");
  tok->add_flag("--special", special, "parse special-token text as special tokens");

  int threads = 2;
  CLI::App* log = app.add_subcommand("logits", "float32 logits at every position of given ids");
  log->add_option("model", model, "GGUF file")->required();
  log->add_option("ids", input, "file of whitespace-separated token ids")->required();
  log->add_option("out", output, "file to write the raw float32 logits to")->required();
  log->add_option("--threads", threads, "threads")->capture_default_str();
  int stride = 1;
  log->add_option("--stride", stride, "logits at every K-th position and the last")
      ->capture_default_str();

  BenchOptions bench_options;
  CLI::App* ben = app.add_subcommand("bench", "prefill and batch-1 decode tokens/s");
  ben->add_option("model", model, "GGUF file")->required();
  ben->add_option("--threads", bench_options.threads, "threads")->capture_default_str();
  ben->add_option("--prefill", bench_options.prefill, "prompt lengths, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  ben->add_option("--prompt", bench_options.prompt, "prompt before decoding (untimed)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  ben->add_option("--decode", bench_options.decode, "timed decode steps")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  ben->add_option("--reps", bench_options.reps, "timed repetitions after one warm-up")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  ben->add_option("--seed", bench_options.seed, "seed of the random tokens")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    llama_cpp_driver::capture_log(verbose);
    const std::string cpu_backend = llama_cpp_driver::load_cpu_backend(library_dir);
    llama_backend_init();
    if (tok->parsed()) {
      tokenize(model, texts, bos, special);
    } else {
      Json record = log->parsed() ? logits(model, input, output, threads, stride)
                                  : bench(model, bench_options);
      record["cpu_backend"] = cpu_backend;
      std::printf("%s\n", record.dump().c_str());
    }
    llama_backend_free();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llama_cpp_driver: %s\n", e.what());
    return 1;
  }
  return 0;
}

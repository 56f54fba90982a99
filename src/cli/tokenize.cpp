// claw tokenize: text on stdin to token ids on stdout, or ids back to text with --decode.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/command.h"
#include "core/error.h"
#include "model/load.h"
#include "text/load_tokenizer.h"

namespace claw::cli {
namespace {

struct TokenizeArgs {
  std::string tokenizer, model;
  bool bos = false, special = false, decode = false;
};

std::string read_stdin() {
  std::ios::sync_with_stdio(false);
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

// Whitespace-separated ids; anything else is an error naming the offending word.
std::vector<std::int32_t> parse_ids(const std::string& input, std::int64_t vocab_size) {
  std::vector<std::int32_t> ids;
  std::istringstream words(input);
  std::string word;
  while (words >> word) {
    std::size_t used = 0;
    long long id = -1;
    try {
      id = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    CLAW_CHECK(used == word.size() && id >= 0 && id < vocab_size, "--decode: '", word,
               "' is not a token id (expected integers in [0, ", vocab_size, "))");
    ids.push_back(static_cast<std::int32_t>(id));
  }
  return ids;
}

void run(const TokenizeArgs& args) {
  CLAW_CHECK(args.tokenizer.empty() != args.model.empty(),
             "pass exactly one of --tokenizer FILE and --model M");
  std::string path = args.tokenizer;
  if (path.empty()) {
    const std::filesystem::path model_path = resolve_model_argument(args.model);
    path = model_tokenizer_path(model_path, model::read_model_config(model_path).vocab_size, "")
               .string();
  }
  const std::unique_ptr<text::Tokenizer> tokenizer = text::load_tokenizer(path);
  const std::string input = read_stdin();
  if (args.decode) {
    const std::string decoded = tokenizer->decode(parse_ids(input, tokenizer->vocab_size()));
    std::fwrite(decoded.data(), 1, decoded.size(), stdout);
    return;
  }
  const std::vector<std::int32_t> ids = tokenizer->encode(input, {args.bos, args.special});
  std::string line;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) line += ' ';
    line += std::to_string(ids[i]);
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
}

}  // namespace

void register_tokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize",
      "Encode all of stdin as one text and print its token ids on one line, or with --decode read "
      "ids and print their text");
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer file: a HF tokenizer.json or a llama2.c tokenizer .bin");
  cmd->add_option("--model", args->model, "use the tokenizer stored with this model");
  cmd->add_flag("--bos", args->bos, "start with the BOS token (if the tokenizer has one)");
  cmd->add_flag("--special", args->special,
                "turn special-token text such as <|endoftext|> into its id (default: plain text)");
  cmd->add_flag("--decode", args->decode, "read token ids and print the text they stand for");
  cmd->callback([args] { run(*args); });
}

}  // namespace claw::cli

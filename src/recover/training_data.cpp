#include "recover/training_data.h"

#include <algorithm>
#include <random>

#include "core/error.h"
#include "core/json.h"
#include "core/option_table.h"
#include "core/text_file.h"
#include "data/alpaca.h"
#include "data/corpus.h"

namespace claw::recover {
namespace {

// `stream` cut into consecutive sequences of `seq_len` tokens (the last may be shorter, but
// holds at least one target), every target scored.
void append_packed(const std::vector<std::int32_t>& stream, std::int64_t seq_len,
                   std::vector<TrainingSequence>& sequences) {
  for (std::size_t i = 0; i + 1 < stream.size(); i += static_cast<std::size_t>(seq_len)) {
    const std::size_t n = std::min(stream.size() - i, static_cast<std::size_t>(seq_len));
    TrainingSequence s;
    s.tokens.assign(stream.begin() + static_cast<std::ptrdiff_t>(i),
                    stream.begin() + static_cast<std::ptrdiff_t>(i + n));
    s.scored.assign(n - 1, 1);
    sequences.push_back(std::move(s));
  }
}

// A prompt and its completion as one sequence; the completion's targets carry the loss.
TrainingSequence prompt_and_completion(const text::Tokenizer& tokenizer, const std::string& prompt,
                                       const std::string& completion, std::int64_t seq_len,
                                       bool prompt_loss) {
  TrainingSequence s;
  s.tokens = tokenizer.encode(prompt + completion, {/*add_bos=*/true});
  const std::size_t prompt_tokens = tokenizer.encode(prompt, {/*add_bos=*/true}).size();
  if (static_cast<std::int64_t>(s.tokens.size()) > seq_len) {
    s.tokens.resize(static_cast<std::size_t>(seq_len));
  }
  s.scored.assign(s.tokens.size() - 1, 1);
  if (!prompt_loss) {
    // Target t predicts token t + 1: the prompt's own tokens (after the first) carry no loss.
    const std::size_t prompt_targets = std::min(prompt_tokens, s.tokens.size()) - 1;
    std::fill(s.scored.begin(), s.scored.begin() + static_cast<std::ptrdiff_t>(prompt_targets), 0);
  }
  return s;
}

std::vector<TrainingSequence> alpaca_sequences(const std::string& name,
                                               const text::Tokenizer& tokenizer,
                                               std::int64_t seq_len, bool prompt_loss) {
  const std::string split = name.size() > 7 ? name.substr(7) : "train";
  CLAW_CHECK(split == "train" || split == "test", name, ": unknown split (expected train or test)");
  const std::vector<data::AlpacaRecord> records =
      data::read_alpaca(data::load_corpus("alpaca").source);
  // The corpus's split: the first 1,800 records train, the last 200 test.
  const std::size_t first = split == "train" ? 0 : std::min<std::size_t>(1800, records.size());
  const std::size_t last =
      split == "train" ? std::min<std::size_t>(1800, records.size()) : records.size();
  std::vector<TrainingSequence> sequences;
  for (std::size_t i = first; i < last; ++i) {
    sequences.push_back(prompt_and_completion(tokenizer, data::alpaca_prompt(records[i]),
                                              records[i].output, seq_len, prompt_loss));
  }
  return sequences;
}

std::vector<TrainingSequence> jsonl_sequences(const std::string& path,
                                              const text::Tokenizer& tokenizer,
                                              std::int64_t seq_len, bool prompt_loss) {
  const std::string text = read_text_file(path);
  std::vector<TrainingSequence> sequences;
  std::vector<std::int32_t> packed;
  std::size_t start = 0;
  for (int line_number = 1; start < text.size(); ++line_number) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (strip(line).empty()) continue;
    const Json record = parse_json(line, concat(path, ":", line_number));
    CLAW_CHECK(record.is_object(), path, ":", line_number, ": not a JSON object");
    const auto text_field = [&](const char* key) {
      const auto found = record.find(key);
      CLAW_CHECK(found != record.end() && found->is_string(), path, ":", line_number,
                 ": expected a string '", key, "'");
      return found->get<std::string>();
    };
    if (record.contains("text")) {
      const std::vector<std::int32_t> ids = tokenizer.encode(text_field("text"), {true});
      packed.insert(packed.end(), ids.begin(), ids.end());
    } else {
      const std::string prompt = text_field("prompt");  // checked first: named first
      sequences.push_back(
          prompt_and_completion(tokenizer, prompt, text_field("completion"), seq_len, prompt_loss));
    }
  }
  append_packed(packed, seq_len, sequences);
  CLAW_CHECK(!sequences.empty(), path, ": holds no training records");
  return sequences;
}

std::vector<TrainingSequence> packed_corpus(const std::string& name,
                                            const text::Tokenizer& tokenizer,
                                            std::int64_t seq_len) {
  const data::Corpus corpus = data::load_corpus(name);
  std::vector<std::int32_t> stream;
  for (const std::string& document : corpus.documents) {
    const std::vector<std::int32_t> ids = tokenizer.encode(strip(document), {/*add_bos=*/true});
    stream.insert(stream.end(), ids.begin(), ids.end());
  }
  std::vector<TrainingSequence> sequences;
  append_packed(stream, seq_len, sequences);
  return sequences;
}

}  // namespace

std::int64_t TrainingSequence::scored_count() const {
  return std::count(scored.begin(), scored.end(), 1);
}

std::vector<TrainingSequence> training_sequences(const std::string& name,
                                                 const text::Tokenizer& tokenizer,
                                                 std::int64_t seq_len, bool prompt_loss) {
  if (seq_len < 2) throw OptionError("seq_len", "must be at least 2");
  if (name == "alpaca" || name.rfind("alpaca:", 0) == 0) {
    return alpaca_sequences(name, tokenizer, seq_len, prompt_loss);
  }
  if (name.rfind("jsonl:", 0) == 0)
    return jsonl_sequences(name.substr(6), tokenizer, seq_len, prompt_loss);
  return packed_corpus(name, tokenizer, seq_len);
}

std::vector<TrainingSequence> take_scored_tokens(const std::vector<TrainingSequence>& sequences,
                                                 std::int64_t tokens, std::int64_t epochs,
                                                 std::uint64_t seed, const std::string& name) {
  if (tokens < 0) throw OptionError("tokens", "must not be negative");
  if (epochs < 1) throw OptionError("epochs", "must be at least 1");
  std::int64_t available = 0;
  for (const TrainingSequence& s : sequences) available += s.scored_count();
  CLAW_CHECK(available * epochs >= tokens, name, " holds ", available,
             " loss-bearing tokens; --tokens ", tokens, " needs ",
             available > 0 ? (tokens + available - 1) / available : 0,
             " passes over it (--epochs) or more data");
  std::vector<TrainingSequence> taken;
  std::int64_t left = tokens;
  std::mt19937_64 rng(seed);
  for (std::int64_t epoch = 0; epoch < epochs && left > 0; ++epoch) {
    std::vector<std::size_t> order(sequences.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t index : order) {
      if (left == 0) break;
      TrainingSequence s = sequences[index];
      const std::int64_t count = s.scored_count();
      if (count == 0) continue;
      if (count > left) {
        // Keep the first `left` scored targets and cut the sequence after the last of them.
        std::int64_t seen = 0;
        std::size_t t = 0;
        for (; t < s.scored.size(); ++t) {
          if (s.scored[t] && ++seen == left) break;
        }
        s.scored.resize(t + 1);
        s.tokens.resize(t + 2);
      }
      left -= s.scored_count();
      taken.push_back(std::move(s));
    }
  }
  return taken;
}

}  // namespace claw::recover

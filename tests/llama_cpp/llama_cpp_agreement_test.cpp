// claw's GGUF exports run in the real llama.cpp (tools/llama_cpp_driver, its prebuilt
// libraries) and agree with claw: the same token ids, on WikiText-2's test file and on strings
// that tokenizers get wrong, and the same logits on a 512-token sequence (every position, or every
// 8th for a large vocabulary). Models: stories260K (llama2.c, SentencePiece-style vocabulary),
// tiny-qwen2 and tiny-llama3 (byte-level BPE, random weights), and compressed models of every shape
// claw makes: uniform FFN pruning (llama/qwen2), and as deci FLAP's per-layer widths, KV heads and
// biases, head pruning, PruneNet, ShortGPT's removed layers, and removed attention or MLP
// sublayers.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/subprocess.h"
#include "model/decoder.h"
#include "model/kv_cache.h"
#include "model/load.h"
#include "support/llama_cpp.h"
#include "support/test_support.h"
#include "text/load_tokenizer.h"

namespace claw::testing {
namespace {

// claw's ids, from the tokenizer `claw tokenize --model` finds for the model.
std::vector<std::vector<std::int32_t>> claw_token_ids(const std::string& model,
                                                      const std::vector<std::string>& texts,
                                                      bool bos) {
  const auto path = text::find_tokenizer_beside(model, model::read_model_config(model).vocab_size);
  EXPECT_TRUE(path.has_value()) << model;
  if (!path) return {};
  const std::unique_ptr<text::Tokenizer> tokenizer = text::load_tokenizer(*path);
  std::vector<std::vector<std::int32_t>> ids;
  for (const std::string& text : texts) ids.push_back(tokenizer->encode(text, {bos, false}));
  return ids;
}

// The positions whose logits are compared: every one for a small vocabulary; for Qwen's and
// Llama 3's (150k and 128k entries) every 8th, the last included. Every token still runs through
// both engines, so each compared row depends on all before it; [512, 151936] floats through a
// file is what would cost the time.
int logits_stride(const std::string& model) {
  return model::read_model_config(model).vocab_size > 4096 ? 8 : 1;
}

// claw's logits of `ids` at the positions logits_stride() picks, as generation computes them:
// the first token as the prompt, then one step per token through the KV cache, which in float32
// is claw's CPU decode step (model/cpu_decode.h). The float64 reference runs the sequence whole.
torch::Tensor claw_logits(const std::string& model, const std::vector<std::int32_t>& ids,
                          torch::ScalarType dtype = torch::kFloat32) {
  const model::Model m = model::load_model(model, {torch::kCPU, dtype});
  torch::NoGradGuard no_grad;
  const torch::Tensor tokens =
      torch::tensor(std::vector<std::int64_t>(ids.begin(), ids.end())).unsqueeze(0);
  torch::Tensor all;
  if (dtype == torch::kDouble) {
    all = model::forward(m, tokens).squeeze(0);
  } else {
    model::KvCache cache(m.config, 1, tokens.size(1), m.device(), m.dtype());
    std::vector<torch::Tensor> rows;
    for (std::int64_t t = 0; t < tokens.size(1); ++t) {
      rows.push_back(model::forward(m, tokens.narrow(1, t, 1), {}, &cache).view({-1}));
    }
    all = torch::stack(rows);
  }
  const int stride = logits_stride(model);
  return all.index_select(0, torch::arange(stride - 1, all.size(0), stride));
}

// Strings where byte fallback, pre-tokenizer splits and whitespace handling differ between
// tokenizers that agree on plain prose.
const std::vector<std::string>& hard_strings() {
  static const std::vector<std::string> strings = {
      "1234567890 3.14159 1,000,000 2024-12-05",
      "日本語のテキストと中文字符",
      "emoji 🙂🚀 and a family 👨‍👩‍👧",
      "runs   of    spaces     and\ttabs\t\t",
      "\n\nnewlines\n\n\n and\r\n CRLF \n",
      " leading space, trailing space ",
      "MiXeD café naïve Ωμέγα ü 123abc!?... \"quoted\" (brackets) [x] {y}",
      "",
  };
  return strings;
}

std::string first_chars(const std::string& path, std::size_t n) {
  return read_bytes(path).substr(0, n);
}

// Models made once for the whole suite.
class LlamaCppAgreement : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (llama_cpp_driver().empty()) return;
    scratch_ = std::make_unique<ScratchDir>();
    const std::string dir = scratch_->path().string();
    const std::string qwen_tok = data_path("tokenizers/qwen/tokenizer.json").string();
    const std::string llama_tok = data_path("tokenizers/llama3/tokenizer.json").string();
    models_["stories260K"] = data_path("models/stories260K/stories260K.bin").string();
    models_["tiny-qwen2"] = dir + "/tiny-qwen2";
    models_["tiny-llama3"] = dir + "/tiny-llama3";
    EXPECT_EQ(run_claw("init --preset tiny-qwen2 --out-dtype f32 --tokenizer " + qwen_tok + " " +
                       models_["tiny-qwen2"])
                  .exit_code,
              0);
    EXPECT_EQ(run_claw("init --preset tiny-llama3 --out-dtype f32 --tokenizer " + llama_tok + " " +
                       models_["tiny-llama3"])
                  .exit_code,
              0);
    const std::string calib =
        " --calib text:" + data_path("wikitext-2-raw/wiki.valid.raw").string() +
        " --calib-samples 8 --calib-len 64";
    const auto compress = [&](const std::string& name, const std::string& base,
                              const std::string& method) {
      models_[name] = dir + "/" + name;
      EXPECT_EQ(run_claw("compress --model " + models_.at(base) + " --method " + method +
                         " --out " + models_[name])
                    .exit_code,
                0)
          << name;
    };
    compress("ffn-pruned", "tiny-qwen2", "magnitude --ratio 0.5");
    compress("flap", "tiny-llama3", "flap --ratio 0.3" + calib);
    compress("flap-qwen2", "tiny-qwen2", "flap --ratio 0.5" + calib);
    // Per-layer widths, KV heads, o_proj and MLP biases, and a layer without its MLP at once.
    compress("flap-qwen2-mlp", "flap-qwen2", "shortgpt --unit mlp --ratio 0.5" + calib);
    compress("flap-stories", "stories260K", "flap --ratio 0.5" + calib);
    compress("heads-stories", "stories260K", "heads --ratio 0.5" + calib);
    compress("prunenet-stories", "stories260K", "prunenet --ratio 0.5 --episodes 2");
    compress("shortgpt-stories", "stories260K", "shortgpt --ratio 0.4" + calib);
    compress("attention-pruned", "stories260K", "shortgpt --unit attention --ratio 0.5" + calib);
  }
  static void TearDownTestSuite() { scratch_.reset(); }

  void SetUp() override {
    if (llama_cpp_driver().empty()) FAIL() << llama_cpp_missing_message();
  }

  // MODEL exported as DTYPE, once per suite.
  static std::string gguf(const std::string& name, const std::string& dtype) {
    const std::string path = scratch_->path().string() + "/" + name + "." + dtype + ".gguf";
    if (!std::filesystem::exists(path)) export_gguf(models_.at(name), path, dtype);
    return path;
  }

  static std::vector<std::int32_t> wikitext_ids(const std::string& name, std::size_t count) {
    std::vector<std::int32_t> ids = claw_token_ids(
        models_.at(name), {first_chars(data_path("wikitext-2-raw/wiki.test.raw"), 8000)}, false)[0];
    if (ids.size() > count) ids.resize(count);
    return ids;
  }

  static std::unique_ptr<ScratchDir> scratch_;
  static std::map<std::string, std::string> models_;
};

std::unique_ptr<ScratchDir> LlamaCppAgreement::scratch_;
std::map<std::string, std::string> LlamaCppAgreement::models_;

TEST_F(LlamaCppAgreement, TokenIdsMatchOnWikiTextAndHardStrings) {
  std::vector<std::string> texts = {read_bytes(data_path("wikitext-2-raw/wiki.test.raw"))};
  texts.insert(texts.end(), hard_strings().begin(), hard_strings().end());
  for (const std::string name : {"stories260K", "tiny-qwen2", "tiny-llama3"}) {
    SCOPED_TRACE(name);
    const std::string file = gguf(name, "f32");
    // With BOS asked for, llama.cpp adds one only where the file's add_bos_token says so, and
    // claw's Llama 3 export writes false there while claw tokenize --bos adds
    // <|begin_of_text|>: a known difference of the export, checked where they agree.
    std::vector<bool> bos_settings = {false};
    if (name != "tiny-llama3") bos_settings.push_back(true);
    for (const bool bos : bos_settings) {
      const auto theirs = llama_cpp_tokenize(file, texts, bos);
      const auto ours = claw_token_ids(models_[name], texts, bos);
      ASSERT_EQ(theirs.size(), ours.size());
      for (std::size_t i = 0; i < texts.size(); ++i) {
        EXPECT_EQ(theirs[i], ours[i]) << (i == 0 ? "WikiText-2 test" : texts[i]) << ", bos " << bos;
      }
    }
  }
}

// The bound is 1e-4, or twice claw's own float32 error against a float64 evaluation of the same
// model where that is larger: both engines round RoPE angles, attention sums and products in
// float32 in their own order, and by position 400-512 of some models (PruneNet's and ShortGPT's
// stories260K) each engine alone is about 1e-4 from the float64 logits.
TEST_F(LlamaCppAgreement, Float32LogitsMatchToOneInTenThousand) {
  for (const std::string name : {"stories260K", "tiny-qwen2", "tiny-llama3", "ffn-pruned", "flap",
                                 "flap-qwen2-mlp", "flap-stories", "heads-stories",
                                 "prunenet-stories", "shortgpt-stories", "attention-pruned"}) {
    SCOPED_TRACE(name);
    const std::vector<std::int32_t> ids = wikitext_ids(name, 512);
    ASSERT_EQ(ids.size(), 512u);
    const torch::Tensor theirs =
        llama_cpp_logits(gguf(name, "f32"), ids, logits_stride(models_[name]));
    const torch::Tensor ours = claw_logits(models_[name], ids);
    ASSERT_EQ(theirs.sizes(), ours.sizes());
    const double difference = (theirs - ours).abs().max().item<double>();
    if (difference < 1e-4) continue;
    const torch::Tensor exact = claw_logits(models_[name], ids, torch::kDouble);
    const double own_rounding = (ours.to(torch::kDouble) - exact).abs().max().item<double>();
    const double their_rounding = (theirs.to(torch::kDouble) - exact).abs().max().item<double>();
    // Both round in float32, each in its own order, and their errors may lie on opposite
    // sides of the exact result: what would tell a wrong export from rounding is llama.cpp
    // falling further from the exact result than claw's own float32 error, not the two
    // errors adding up (prunenet-stories: 8.3e-5 and 9.0e-5, a difference of 1.7e-4).
    EXPECT_LT(their_rounding, 2 * own_rounding)
        << "llama.cpp's float32 error " << their_rounding << ", claw's " << own_rounding
        << ", their difference " << difference;
  }
}

// Stored in 16 or 8 bits, the weights are rounded; llama.cpp then computes with them in its own
// way (f16 and bf16 matrix products round the activations to the weight type as well, q8_0
// quantizes them to 8 bits per block of 32). The bound is on the error relative to the largest
// |logit|: a weight type with unit roundoff u, summed over the layers' products, moves each
// logit by some multiple of u times the logits' scale; the factor 16 leaves room for the
// activations' rounding and the depth of the models here (2 to 5 layers).
TEST_F(LlamaCppAgreement, ReducedPrecisionLogitsStayWithinTheirRounding) {
  const std::map<std::string, double> unit_roundoff = {
      {"f16", 1.0 / 2048}, {"bf16", 1.0 / 256}, {"q8_0", 1.0 / 254}};
  for (const std::string name : {"stories260K", "tiny-qwen2", "flap-stories"}) {
    const std::vector<std::int32_t> ids = wikitext_ids(name, 512);
    const torch::Tensor ours = claw_logits(models_[name], ids);
    const double scale = ours.abs().max().item<double>();
    for (const auto& [dtype, u] : unit_roundoff) {
      SCOPED_TRACE(name + " " + dtype);
      const torch::Tensor theirs =
          llama_cpp_logits(gguf(name, dtype), ids, logits_stride(models_[name]));
      ASSERT_EQ(theirs.sizes(), ours.sizes());
      EXPECT_LT((theirs - ours).abs().max().item<double>(), 16 * u * scale);
    }
  }
}

// claw bench --engine llama.cpp: the FLAP model goes to llama.cpp as deci, unpadded, and is
// measured against its base in turns, with the ideal decode speedup from the files' bytes.
TEST_F(LlamaCppAgreement, BenchMeasuresADeciModelAgainstItsBase) {
  const CommandResult result = run_claw(
      "-q bench --engine llama.cpp --gguf-dtype q8_0 --json --prefill 16 --decode 8 "
      "--reps 2 --threads 1 --model " +
      models_["flap-stories"] + " --base " + models_["stories260K"]);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Json record = Json::parse(result.out);
  EXPECT_EQ(record["engine"], "llama.cpp");
  EXPECT_EQ(record["threads"], 1);
  const Json& gguf = record["models"]["model"]["gguf"];
  EXPECT_EQ(gguf["architecture"], "deci");
  EXPECT_EQ(gguf["type"], "q8_0");
  EXPECT_EQ(gguf["padding_bytes"], 0);
  EXPECT_EQ(record["models"]["base"]["gguf"]["architecture"], "llama");
  ASSERT_EQ(record["settings"].size(), 1u);
  const Json& setting = record["settings"][0];
  EXPECT_EQ(setting["batch"], 1);
  const double ideal = setting["speedup"]["decode"]["ideal"].get<double>();
  EXPECT_DOUBLE_EQ(ideal, record["models"]["base"]["gguf"]["decode_bytes_per_token"].get<double>() /
                              gguf["decode_bytes_per_token"].get<double>());
  EXPECT_GT(ideal, 1.5);  // FLAP at 0.5 removes about half of what a step reads
  EXPECT_GT(setting["model"]["decode_tokens_per_s"]["median"].get<double>(), 0);
}

TEST(LlamaCppDriver, SaysInOneLineWhyAFileDoesNotLoad) {
  if (llama_cpp_driver().empty()) FAIL() << llama_cpp_missing_message();
  const ScratchDir scratch;
  write_bytes(scratch / "bad.gguf", "not a gguf file");
  write_bytes(scratch / "text", "hello");
  const CommandOutput result =
      run_command({llama_cpp_driver().string(), "tokenize", (scratch / "bad.gguf").string(),
                   (scratch / "text").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out,
            "llama_cpp_driver: llama.cpp cannot load " + (scratch / "bad.gguf").string() +
                ": gguf_init_from_reader: invalid magic characters: 'not ', expected 'GGUF'\n");
}

}  // namespace
}  // namespace claw::testing

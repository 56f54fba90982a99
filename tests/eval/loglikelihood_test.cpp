// The zero-shot scorer against a plain computation: each request's context + continuation
// through forward() alone, log-softmax in double, summed in a loop. stories260K with its own
// tokenizer scores real items of HellaSwag (four choices after one prompt), WinoGrande (two
// prompts, one continuation) and LAMBADA (one request), plus choices that share their first
// continuation tokens and a sequence longer than the model's context.
#include <gtest/gtest.h>

#include <torch/types.h>

#include <cmath>

#include "core/error.h"
#include "data/choice_task.h"
#include "eval/loglikelihood.h"
#include "model/decoder.h"
#include "model/layered_model.h"
#include "model/load.h"
#include "model/stored_model.h"
#include "support/test_support.h"
#include "text/load_tokenizer.h"

namespace claw::eval {
namespace {

using testing::data_path;

struct Fixture {
  model::Model model = model::load_model(data_path("models/stories260K/stories260K.bin"));
  std::unique_ptr<text::Tokenizer> tokenizer =
      text::load_tokenizer(data_path("models/stories260K/tok512.bin"));
};

const Fixture& fixture() {
  static const Fixture instance;
  return instance;
}

std::vector<std::vector<TokenRequest>> request_groups() {
  const Fixture& f = fixture();
  std::vector<std::vector<TokenRequest>> groups;
  for (const std::string task : {"hellaswag", "winogrande", "lambada"}) {
    const data::ChoiceTask loaded = data::load_choice_task(task);
    for (std::size_t i = 0; i < 6; ++i) {
      std::vector<TokenRequest> group;
      for (const auto& r : loaded.items[i].requests) {
        group.push_back(tokenize_request(*f.tokenizer, r));
      }
      groups.push_back(std::move(group));
    }
  }
  // Choices whose first continuation tokens agree: the shared prefix reaches past the context.
  std::vector<TokenRequest> shared;
  for (const std::string ending : {" the cat was happy.", " the cat was sad.", " the dog."}) {
    shared.push_back(tokenize_request(*f.tokenizer, {"Once upon a time", ending}));
  }
  groups.push_back(std::move(shared));
  // Longer than the 512-token context: only the last 513 tokens are read.
  std::string story;
  for (int i = 0; i < 80; ++i) story += "Tom and Lily went to the park. ";
  groups.push_back({tokenize_request(*f.tokenizer, {story, " They were happy."})});
  // The model's own next two tokens, so that some continuation is greedy.
  TokenRequest greedy = tokenize_request(*f.tokenizer, {"Once upon a time", " there"});
  greedy.context.insert(greedy.context.end(), greedy.continuation.begin(),
                        greedy.continuation.end());
  greedy.continuation.clear();
  for (int step = 0; step < 2; ++step) {
    std::vector<std::int64_t> ids(greedy.context.begin(), greedy.context.end());
    ids.insert(ids.end(), greedy.continuation.begin(), greedy.continuation.end());
    const torch::Tensor logits = model::forward(f.model, torch::tensor(ids).unsqueeze(0));
    greedy.continuation.push_back(logits[0][-1].argmax().item<std::int32_t>());
  }
  groups.push_back({greedy});
  return groups;
}

LoglikelihoodOptions batched(std::int64_t batch, bool share_prefix) {
  LoglikelihoodOptions options;
  options.batch = batch;
  options.share_prefix = share_prefix;
  return options;
}

// A model too large for memory is scored one layer at a time, every batch carried through each
// layer in turn (in one pass, or a pass per batch): the same scores, packed prompts included.
TEST(Loglikelihood, OneLayerAtATimeFromTheFileGivesTheInMemoryScores) {
  const model::StoredModel stored(data_path("models/stories260K/stories260K.bin"));
  model::StreamedModel streamed(stored, {});
  const auto groups = request_groups();
  for (const bool share : {true, false}) {
    const auto reference = score_requests(fixture().model, groups, batched(4, share));
    for (const std::int64_t state_bytes : {std::int64_t{1} << 30, std::int64_t{1}}) {
      const auto scores =
          score_requests(ScoredModel(streamed, state_bytes), groups, batched(4, share));
      ASSERT_EQ(scores.size(), reference.size());
      for (std::size_t g = 0; g < scores.size(); ++g) {
        for (std::size_t r = 0; r < scores[g].size(); ++r) {
          const ContinuationScore& want = reference[g][r];
          EXPECT_NEAR(scores[g][r].loglikelihood, want.loglikelihood,
                      1e-6 * std::abs(want.loglikelihood))
              << "group " << g << ", request " << r << ", sharing " << share;
          EXPECT_EQ(scores[g][r].greedy, want.greedy);
        }
      }
    }
  }
}

struct Plain {
  double loglikelihood = 0;
  bool greedy = true;
};

Plain plain_score(const TokenRequest& request) {
  const torch::NoGradGuard no_grad;
  std::vector<std::int64_t> ids(request.context.begin(), request.context.end());
  ids.insert(ids.end(), request.continuation.begin(), request.continuation.end());
  const auto context = static_cast<std::size_t>(fixture().model.config.max_position_embeddings);
  if (ids.size() > context + 1) ids.erase(ids.begin(), ids.end() - (context + 1));
  const torch::Tensor input =
      torch::tensor(std::vector<std::int64_t>(ids.begin(), ids.end() - 1)).unsqueeze(0);
  const torch::Tensor log_probs =
      at::log_softmax(model::forward(fixture().model, input)[0].to(torch::kFloat64), -1);
  Plain plain;
  for (std::size_t t = ids.size() - request.continuation.size(); t < ids.size(); ++t) {
    plain.loglikelihood += log_probs[t - 1][ids[t]].item<double>();
    plain.greedy = plain.greedy && log_probs[t - 1].argmax().item<std::int64_t>() == ids[t];
  }
  return plain;
}

TEST(Loglikelihood, EqualsAPlainForwardOfEachConcatenatedSequence) {
  const auto groups = request_groups();
  const auto scores = score_requests(fixture().model, groups, batched(16, true));
  int greedy = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    ASSERT_EQ(scores[g].size(), groups[g].size());
    for (std::size_t i = 0; i < groups[g].size(); ++i) {
      const Plain plain = plain_score(groups[g][i]);
      EXPECT_NEAR(scores[g][i].loglikelihood, plain.loglikelihood, 1e-4) << g << "/" << i;
      EXPECT_EQ(scores[g][i].greedy, plain.greedy) << g << "/" << i;
      EXPECT_EQ(scores[g][i].tokens, static_cast<std::int64_t>(groups[g][i].continuation.size()));
      greedy += plain.greedy;
    }
  }
  EXPECT_GT(greedy, 0) << "no greedy continuation: the greedy flag went untested";
}

TEST(Loglikelihood, BatchSizeAndPrefixSharingChangeNothing) {
  const auto groups = request_groups();
  const auto reference = score_requests(fixture().model, groups, batched(1, true));
  // Batch size and sharing change only padding, matmul shapes and how float32 sums are split
  // between passes: differences of a few 1e-7 relative on sums over up to 40 tokens, checked
  // to 1e-5 relative (absolute below 1).
  for (const LoglikelihoodOptions& options :
       {batched(16, true), batched(3, true), batched(1, false), batched(16, false)}) {
    LoglikelihoodWork work;
    const auto scores = score_requests(fixture().model, groups, options, &work);
    EXPECT_GT(work.tokens_processed, 0);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      for (std::size_t i = 0; i < groups[g].size(); ++i) {
        EXPECT_NEAR(scores[g][i].loglikelihood, reference[g][i].loglikelihood,
                    1e-5 * std::max(1.0, std::abs(reference[g][i].loglikelihood)))
            << "batch " << options.batch << (options.share_prefix ? " shared " : " alone ") << g
            << "/" << i;
        EXPECT_EQ(scores[g][i].greedy, reference[g][i].greedy);
      }
    }
  }
}

TEST(Loglikelihood, SharingFeedsFewerTokens) {
  const auto groups = request_groups();
  LoglikelihoodWork shared, alone;
  score_requests(fixture().model, groups, batched(8, true), &shared);
  score_requests(fixture().model, groups, batched(8, false), &alone);
  // LAMBADA's single requests and the long story share nothing; the choices do.
  EXPECT_LT(shared.tokens_processed * 4, alone.tokens_processed * 3);
}

TEST(TokenizeRequest, SplitsOneEncodingAtTheContextsLength) {
  const text::Tokenizer& tokenizer = *fixture().tokenizer;
  // The context's trailing whitespace moves into the continuation before encoding.
  const TokenRequest moved = tokenize_request(tokenizer, {"Once upon a time ", "there was"});
  const TokenRequest plain = tokenize_request(tokenizer, {"Once upon a time", " there was"});
  EXPECT_EQ(moved.context, plain.context);
  EXPECT_EQ(moved.continuation, plain.continuation);
  const std::vector<std::int32_t> whole = tokenizer.encode("Once upon a time there was", {});
  std::vector<std::int32_t> joined = plain.context;
  joined.insert(joined.end(), plain.continuation.begin(), plain.continuation.end());
  EXPECT_EQ(joined, whole);
  // An empty context starts from BOS.
  const TokenRequest empty = tokenize_request(tokenizer, {"", "Once"});
  EXPECT_EQ(empty.context, std::vector<std::int32_t>{*tokenizer.bos_id()});
  EXPECT_EQ(empty.continuation, tokenizer.encode("Once", {}));
  EXPECT_THROW(tokenize_request(tokenizer, {"Once", ""}), Error);
}

// With Qwen's tokenizer: context + continuation encode as one string, split after the
// context's own tokens; trailing context whitespace moves to the continuation first.
TEST(TokenizeRequest, SplitsPiqaRequestsIntoTheHarnesssTokens) {
  const text::Tokenizer& qwen = claw::testing::shared_tokenizer("tokenizers/qwen/tokenizer.json");
  const data::ChoiceTask piqa = data::load_choice_task("piqa");
  const data::LoglikelihoodRequest& request = piqa.items.front().requests.front();
  const TokenRequest tokens = tokenize_request(qwen, request);
  EXPECT_EQ(qwen.decode(tokens.context), request.context);
  EXPECT_EQ(qwen.decode(tokens.continuation), request.continuation);
  EXPECT_EQ(qwen.decode({tokens.context.back()}), ":");
  EXPECT_EQ(qwen.decode({tokens.continuation.front()}), " Provide");

  // PIQA as the gauntlet file has it: the query ends in "\n", which joins the continuation.
  const TokenRequest moved = tokenize_request(qwen, {"Question: dresser\n", " finish, woodgrain"});
  EXPECT_EQ(qwen.decode(moved.context), "Question: dresser");
  EXPECT_EQ(qwen.decode(moved.continuation), "\n finish, woodgrain");
  std::vector<std::int32_t> joined = moved.context;
  joined.insert(joined.end(), moved.continuation.begin(), moved.continuation.end());
  EXPECT_EQ(joined, qwen.encode("Question: dresser\n finish, woodgrain", {}));
}

TEST(TokenizeRequest, HarnessVersionsPlaceBosAsTheyDid) {
  // SentencePiece Llama tokenizers add BOS by default; Qwen's adds none.
  const text::Tokenizer& llama = *fixture().tokenizer;
  ASSERT_TRUE(llama.adds_bos_by_default());
  const data::LoglikelihoodRequest request{"Once upon a time", " there was"};
  const TokenRequest before = tokenize_request(llama, request, Harness::k0_4_4);
  const TokenRequest since = tokenize_request(llama, request, Harness::k0_4_9_2);
  std::vector<std::int32_t> with_bos = {*llama.bos_id()};
  with_bos.insert(with_bos.end(), before.context.begin(), before.context.end());
  EXPECT_EQ(since.context, with_bos);
  EXPECT_EQ(since.continuation, before.continuation);
  // An empty context is the prefix token under both; the continuation never gets a BOS.
  for (const Harness harness : {Harness::k0_4_4, Harness::k0_4_9_2}) {
    const TokenRequest empty = tokenize_request(llama, {"", " The cat."}, harness);
    EXPECT_EQ(empty.context, std::vector<std::int32_t>{*llama.bos_id()});
    EXPECT_EQ(empty.continuation, llama.encode(" The cat.", {}));
  }
  // Since 0.4.9.2 a continuation that starts with the prefix token lends it to the context.
  const TokenRequest lent = tokenize_request(llama, {"", "<s> The cat."}, Harness::k0_4_9_2);
  const TokenRequest kept = tokenize_request(llama, {"", "<s> The cat."}, Harness::k0_4_4);
  EXPECT_EQ(lent.continuation.size() + 1, kept.continuation.size());

  const auto qwen = text::load_tokenizer(data_path("tokenizers/qwen/tokenizer.json"));
  EXPECT_FALSE(qwen->adds_bos_by_default());
  const TokenRequest qwen_before = tokenize_request(*qwen, request, Harness::k0_4_4);
  const TokenRequest qwen_since = tokenize_request(*qwen, request, Harness::k0_4_9_2);
  EXPECT_EQ(qwen_before.context, qwen_since.context);
  EXPECT_EQ(parse_harness("0.4.9.2"), Harness::k0_4_9_2);
  EXPECT_THROW(parse_harness("0.4.5"), Error);
}

TEST(Loglikelihood, IdenticalRequestsScoreIdentically) {
  // ARC-Challenge item 122 offers " faster" twice; prefix sharing put the two in different
  // segments of one row, and float rounding made them differ in the seventh digit.
  const text::Tokenizer& tokenizer = *fixture().tokenizer;
  const std::string context = "Question: A toy truck rolls over a smooth surface.\nAnswer:";
  std::vector<TokenRequest> choices;
  for (const std::string choice : {" faster", " slower", " faster", " at the same speed"}) {
    choices.push_back(tokenize_request(tokenizer, {context, choice}));
  }
  // The same request again in another group, alone.
  const std::vector<std::vector<TokenRequest>> groups = {choices, {choices[0]}};
  for (const bool share : {true, false}) {
    const auto scores = score_requests(fixture().model, groups, batched(8, share));
    EXPECT_EQ(scores[0][0].loglikelihood, scores[0][2].loglikelihood);
    EXPECT_EQ(scores[0][0].loglikelihood, scores[1][0].loglikelihood);
    EXPECT_NE(scores[0][0].loglikelihood, scores[0][1].loglikelihood);
  }
}

TEST(Loglikelihood, RefusesAContinuationLongerThanTheContext) {
  const TokenRequest request{{1}, std::vector<std::int32_t>(600, 5)};
  EXPECT_THROW(score_requests(fixture().model, {{request}}), Error);
}

}  // namespace
}  // namespace claw::eval

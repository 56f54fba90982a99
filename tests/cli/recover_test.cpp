// claw recover through the command line: D = 0 copies the model, a short recovery writes the
// merged model, the adapter in PEFT's layout and recovery.json, and bad requests are refused.
#include <gtest/gtest.h>

#include "core/json.h"
#include "io/safetensors.h"
#include "model/presets.h"
#include "model/save.h"
#include "support/test_support.h"

namespace claw {
namespace {

using claw::testing::run_claw;
using claw::testing::ScratchDir;

TEST(Recover, ZeroTokensCopiesTheModel) {
  const ScratchDir scratch;
  const std::string out = (scratch / "copy").string();
  const auto result =
      run_claw("-q recover --model stories260K --data tinystories:train --tokens 0 --out " + out);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(testing::model_info(out)["content_hash"],
            testing::model_info("stories260K")["content_hash"]);
  const Json record = read_json_file(scratch / "copy" / "recovery.json");
  EXPECT_EQ(record["tokens_seen"], 0);
  EXPECT_FALSE(std::filesystem::exists(scratch / "copy" / "adapter"));
}

TEST(Recover, WritesTheMergedModelThePeftAdapterAndTheRecord) {
  const ScratchDir scratch;
  const std::string out = (scratch / "recovered").string();
  const auto result = run_claw(
      "-q recover --model stories260K --data tinystories:train --tokens 3000 --seq-len 128 "
      "--lora-rank 4 --targets q,v,down --eval-every 2 --eval-sequences 4 --out " +
      out);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Json record = read_json_file(scratch / "recovered" / "recovery.json");
  EXPECT_EQ(record["tokens_seen"], 3000);
  // Each setting is recorded under its option's name.
  EXPECT_EQ(record["settings"]["lora_rank"], 4);
  EXPECT_EQ(record["settings"]["targets"], (Json{"q", "v", "down"}));
  EXPECT_EQ(record["settings"]["seq_len"], 128);
  EXPECT_FALSE(record["settings"].contains("eval_every"));
  EXPECT_GE(record["held_out_loss"].size(), 3u);  // step 0, every 2 steps, the end
  EXPECT_EQ(record["train_loss"].size(), record["steps"].get<std::size_t>());
  EXPECT_NE(testing::model_info(out)["content_hash"],
            testing::model_info("stories260K")["content_hash"]);

  const Json adapter = read_json_file(scratch / "recovered" / "adapter" / "adapter_config.json");
  EXPECT_EQ(adapter["peft_type"], "LORA");
  EXPECT_EQ(adapter["r"], 4);
  EXPECT_EQ(adapter["target_modules"], Json({"q_proj", "v_proj", "down_proj"}));
  const io::SafetensorsFile weights(scratch / "recovered" / "adapter" /
                                    "adapter_model.safetensors");
  const auto& a =
      weights.tensors().at("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
  const auto& b =
      weights.tensors().at("base_model.model.model.layers.4.mlp.down_proj.lora_B.weight");
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{4, 64}));
  EXPECT_EQ(b.shape, (std::vector<std::int64_t>{64, 4}));
  EXPECT_EQ(weights.tensors().size(), 5u * 3 * 2);
}

// A sliced model trains through its shortcut matrices; with --full they are trained too.
TEST(Recover, RecoversASlicedModel) {
  const ScratchDir scratch;
  const std::string sliced = (scratch / "sliced").string();
  ASSERT_EQ(run_claw("-q compress --model stories260K --method slicegpt --ratio 0.5 --calib "
                     "tinystories:train --calib-samples 8 --calib-len 128 --out " +
                     sliced)
                .exit_code,
            0);
  // LoRA by distillation from the model it was sliced from; all weights by next-token loss.
  for (const std::string mode : {" --teacher stories260K --kd-temperature 2", " --full"}) {
    const std::string out = (scratch / ("recovered" + mode)).string();
    const auto result = run_claw("-q recover --model " + sliced +
                                 " --data tinystories:train --tokens 2000 --seq-len 128 --lr 1e-3"
                                 " --eval-sequences 4 --out '" +
                                 out + "'" + mode);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const Json record = read_json_file(std::filesystem::path(out) / "recovery.json");
    const Json& held_out = record["held_out_loss"];
    EXPECT_EQ(held_out.front()["step"], 0);
    EXPECT_LT(held_out.back()["loss"].get<double>(), held_out.front()["loss"].get<double>() - 0.05)
        << mode;
    EXPECT_EQ(testing::model_info("'" + out + "'")["residual_widths"][0], 32);
    const bool distilled = mode.find("--teacher") != std::string::npos;
    EXPECT_EQ(record["settings"]["objective"], distilled ? "kd" : "lm");
    EXPECT_EQ(record["settings"].contains("kd_temperature"), distilled);
    EXPECT_EQ(record.contains("teacher"), distilled);
    EXPECT_EQ(record["train_loss"].front().contains("distillation"), distilled);
  }
}

TEST(Recover, RefusesBadRequestsClearly) {
  const ScratchDir scratch;
  const std::string recover = "recover --model stories260K ";
  const std::string out = " --out " + (scratch / "o").string();
  testing::expect_claw_refuses(recover + "--data tinystories:train --tokens 10000000" + out,
                               "passes over it (--epochs)");
  testing::expect_claw_refuses(
      recover + "--data tinystories:train --tokens 100 --seq-len 1024" + out,
      "longer than the model's context of 512");
  testing::expect_claw_refuses(
      recover + "--data tinystories:train --tokens 100 --targets q,lm_head" + out,
      "unknown projection 'lm_head'");
  // The library names the field; the command line reports it as its flag.
  testing::expect_claw_refuses(
      recover + "--data tinystories:train --tokens 100 --lora-rank 0" + out,
      "claw: --lora-rank must be at least 1, not 0");
  testing::expect_claw_refuses(recover + "--tokens 100" + out,
                               "claw: --data must be given to train on D > 0 tokens");
  testing::expect_claw_refuses(
      recover + "--data tinystories:train --tokens 100 --kd-weight 0.5" + out,
      "distil from a teacher; none was given");
  const std::string distil = recover + "--data tinystories:train --tokens 100 --teacher ";
  testing::expect_claw_refuses(distil + "stories260K --kd-weight 1.5" + out,
                               "claw: --kd-weight must be at most 1, not 1.5");
  testing::expect_claw_refuses(distil + "stories260K --kd-top-k 0" + out,
                               "claw: --kd-top-k must be at least 1, not 0");
  model::ModelConfig other = model::preset_config("tiny-qwen2");
  model::save_model(model::random_model(other, 1, torch::kFloat), scratch / "other", {});
  testing::expect_claw_refuses(distil + (scratch / "other").string() + out,
                               "distillation needs the same tokenizer");
  testing::write_bytes(scratch / "bad.jsonl", "{\"text\": \"fine\"}\n{\"prompt\": 3}\n");
  testing::expect_claw_refuses(
      recover + "--data jsonl:" + (scratch / "bad.jsonl").string() + " --tokens 10" + out,
      "bad.jsonl:2: expected a string 'prompt'");
  testing::write_bytes(scratch / "broken.jsonl", "{\"text\": \"fine\"}\n{not json\n");
  testing::expect_claw_refuses(
      recover + "--data jsonl:" + (scratch / "broken.jsonl").string() + " --tokens 10" + out,
      "broken.jsonl:2: malformed JSON");
  testing::expect_claw_refuses(distil + (scratch / "bad.jsonl").string() + out, "bad.jsonl");
}

}  // namespace
}  // namespace claw

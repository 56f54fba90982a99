// claw predict and claw critical: what a fitted law says about settings not measured.
#include <cmath>
#include <cstdio>
#include <optional>

#include "cli/command.h"
#include "core/error.h"
#include "laws/law_file.h"

namespace claw::cli {
namespace {

struct LawArgs {
  std::string law, group;
  std::optional<double> base_value, tokens;
  bool json = false;
};

void add_law_flags(CLI::App& cmd, LawArgs& args) {
  cmd.add_option("--law", args.law, "a file claw fit --out wrote")->required();
  cmd.add_option("--group", args.group, "which law of the file (the value of fit's --by)");
  cmd.add_flag("--json", args.json, "print JSON");
}

// The law a query asks about and the L0 it is asked at: --L0, or the one base value the law was
// fitted on.
struct Query {
  laws::GroupLaw law;
  double base_value;
  Json json;  // what the query asked, for --json
};

Query load_query(const LawArgs& args) {
  const std::vector<laws::GroupLaw> file = laws::read_law_file(args.law);
  Query q{laws::choose_law(file, args.group, args.law), 0, {}};
  if (args.base_value) {
    q.base_value = *args.base_value;
  } else {
    CLAW_CHECK(q.law.base_values.size() == 1,
               "pass --L0: the law was fitted on several base values (",
               Json(q.law.base_values).dump(), ")");
    q.base_value = q.law.base_values.front();
  }
  q.json = {{"L0", q.base_value}, {"tokens", args.tokens ? Json(*args.tokens) : Json("unlimited")}};
  return q;
}

std::string tokens_text(const LawArgs& args) {
  return args.tokens ? concat(*args.tokens, " tokens") : "unlimited";
}

void predict_command(const LawArgs& args, double ratio) {
  Query q = load_query(args);
  const laws::Interval p = laws::predict(q.law.law, q.base_value, ratio, args.tokens);
  if (args.json) {
    q.json.update({{"ratio", ratio}, {"prediction", p.estimate}, {"interval95", {p.low, p.high}}});
    std::printf("%s\n", q.json.dump(2).c_str());
    return;
  }
  std::printf("L = %.6g, 95%% prediction interval [%.6g, %.6g] (L0 %g, r %g, D %s)\n", p.estimate,
              p.low, p.high, q.base_value, ratio, tokens_text(args).c_str());
}

void critical_command(const LawArgs& args, double sigma) {
  Query q = load_query(args);
  const laws::CriticalRatio c = laws::critical_ratio(q.law.law, sigma, q.base_value, args.tokens);
  if (args.json) {
    q.json.update({{"sigma", sigma},
                   {"critical_ratio", c.ratio},
                   {"in_range", c.in_range},
                   {"meaning", c.meaning}});
    std::printf("%s\n", q.json.dump(2).c_str());
    return;
  }
  if (c.in_range) {
    std::printf("r* = %.6f (D %s): %s\n", c.ratio, tokens_text(args).c_str(), c.meaning.c_str());
  } else {
    std::printf("no critical ratio in [0, 1) (the formula gives %.6g): %s\n", c.ratio,
                c.meaning.c_str());
  }
}

}  // namespace

void register_law_queries(CLI::App& app) {
  auto predict_args = std::make_shared<LawArgs>();
  auto ratio = std::make_shared<double>(0);
  CLI::App* predict = app.add_subcommand(
      "predict", "Predict the metric at a ratio and recovery budget from a fitted law");
  add_law_flags(*predict, *predict_args);
  predict->add_option("--L0", predict_args->base_value,
                      "the uncompressed model's metric (default: the law's, if it has one)");
  predict->add_option("--ratio", *ratio, "the compression ratio r in [0, 1)")->required();
  predict->add_option("--tokens", predict_args->tokens,
                      "recovery tokens D (default: unlimited recovery)");
  predict->callback([predict_args, ratio] { predict_command(*predict_args, *ratio); });

  auto critical_args = std::make_shared<LawArgs>();
  auto sigma = std::make_shared<double>(0);
  CLI::App* critical = app.add_subcommand(
      "critical", "The ratio at which the metric reaches σ times its uncompressed value");
  add_law_flags(*critical, *critical_args);
  critical->add_option("--sigma", *sigma, "the multiple of L0 to reach (e.g. 0.9 of an accuracy)")
      ->required();
  critical->add_option("--L0", critical_args->base_value,
                       "the uncompressed model's metric (default: the law's, if it has one)");
  critical->add_option("--tokens", critical_args->tokens,
                       "recovery tokens D (default: unlimited recovery)");
  critical->callback([critical_args, sigma] { critical_command(*critical_args, *sigma); });
}

}  // namespace claw::cli

// claw predict and claw critical: what a fitted law says about settings not measured.
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

#include "cli/command.h"
#include "core/error.h"
#include "core/format.h"
#include "laws/critical.h"
#include "laws/law_file.h"

namespace claw::cli {
namespace {

struct LawArgs {
  std::string law, group, frontier;
  std::optional<double> base_value, tokens;
  bool json = false;
};

void add_law_flags(CLI::App& cmd, LawArgs& args) {
  cmd.add_option("--law", args.law, "a file claw fit --out wrote")->required();
  cmd.add_option("--group", args.group, "which law of the file (the value of fit's --by)");
  cmd.add_option("--frontier", args.frontier,
                 "the model/dataset to ask about (default: the law's only one)");
  cmd.add_option("--L0", args.base_value,
                 "the uncompressed model's metric (default: the frontier's, as fitted)");
  cmd.add_option("--tokens", args.tokens, "recovery tokens D (default: unlimited recovery)");
  cmd.add_flag("--json", args.json, "print JSON");
}

// The law a query asks about, the frontier and the L0 it is asked at: --frontier, or the law's
// only frontier; --L0, or the frontier's as fitted. A pooled law answers for any L0.
struct Query {
  laws::FittedLaw law;
  std::string frontier;
  double base_value = 0;
  Json json;  // what the query asked, for --json
};

Query load_query(const LawArgs& args) {
  const std::vector<laws::GroupLaw> file = laws::read_law_file(args.law);
  Query q{laws::choose_law(file, args.group, args.law).law, args.frontier, 0, {}};
  std::map<std::string, double> fitted;  // every frontier the law was fitted on, with its L0
  for (const laws::LawPart& p : q.law.parts)
    fitted.insert(p.base_values.begin(), p.base_values.end());
  if (q.frontier.empty() && fitted.size() == 1) q.frontier = fitted.begin()->first;
  const bool pooled = q.law.spec.scope == laws::Scope::kPooled;
  const auto names = [&] {
    return join(fitted, [](const auto& f) { return "'" + f.first + "'"; });
  };
  CLAW_CHECK(!q.frontier.empty() || (pooled && args.base_value), "pass --frontier",
             pooled ? " or --L0" : "", ": the law was fitted on ", names());
  q.law.part_for(q.frontier);  // a per-frontier law refuses a frontier it has no part for
  if (args.base_value) {
    q.base_value = *args.base_value;
  } else {
    const auto at = fitted.find(q.frontier);
    CLAW_CHECK(at != fitted.end(), "pass --L0: the law was not fitted on '", q.frontier,
               "'; it was fitted on ", names());
    q.base_value = at->second;
  }
  q.json = {{"frontier", q.frontier},
            {"L0", q.base_value},
            {"tokens", args.tokens ? Json(*args.tokens) : Json("unlimited")}};
  return q;
}

std::string tokens_text(const LawArgs& args) {
  return args.tokens ? concat(*args.tokens, " tokens") : "unlimited";
}

void predict_command(const LawArgs& args, double ratio) {
  Query q = load_query(args);
  const laws::Interval p = laws::predict(q.law, q.frontier, q.base_value, ratio, args.tokens);
  if (args.json) {
    q.json.update({{"ratio", ratio}, {"prediction", p.estimate}, {"interval95", {p.low, p.high}}});
    std::printf("%s\n", q.json.dump(2).c_str());
    return;
  }
  std::printf("L = %.6g, 95%% prediction interval [%.6g, %.6g] (L0 %g, r %g, D %s; law %s)\n",
              p.estimate, p.low, p.high, q.base_value, ratio, tokens_text(args).c_str(),
              q.law.spec.name().c_str());
}

void critical_command(const LawArgs& args, double sigma) {
  Query q = load_query(args);
  const laws::CriticalRatio c =
      laws::critical_ratio(q.law, q.frontier, sigma, q.base_value, args.tokens);
  const auto optional_number = [](const std::optional<double>& x) {
    return x ? Json(*x) : Json(nullptr);
  };
  if (args.json) {
    q.json.update({{"sigma", sigma},
                   {"critical_ratio", optional_number(c.ratio)},
                   {"interval95", {optional_number(c.low), optional_number(c.high)}},
                   {"meaning", c.meaning}});
    std::printf("%s\n", q.json.dump(2).c_str());
    return;
  }
  if (c.ratio) {
    std::printf("r* = %.6f (D %s): %s\n", *c.ratio, tokens_text(args).c_str(), c.meaning.c_str());
  } else {
    std::printf("no critical ratio (D %s): %s\n", tokens_text(args).c_str(), c.meaning.c_str());
  }
}

}  // namespace

void register_law_queries(CLI::App& app) {
  auto predict_args = std::make_shared<LawArgs>();
  auto ratio = std::make_shared<double>(0);
  CLI::App* predict = app.add_subcommand(
      "predict", "Predict the metric at a ratio and recovery budget from a fitted law");
  add_law_flags(*predict, *predict_args);
  predict->add_option("--ratio", *ratio, "the compression ratio r in [0, 1)")->required();
  predict->callback([predict_args, ratio] { predict_command(*predict_args, *ratio); });

  auto critical_args = std::make_shared<LawArgs>();
  auto sigma = std::make_shared<double>(0);
  CLI::App* critical = app.add_subcommand(
      "critical", "The ratio at which the metric reaches σ times its uncompressed value");
  add_law_flags(*critical, *critical_args);
  critical->add_option("--sigma", *sigma, "the multiple of L0 to reach (e.g. 0.9 of an accuracy)")
      ->required();
  critical->callback([critical_args, sigma] { critical_command(*critical_args, *sigma); });
}

}  // namespace claw::cli

#define CAF_SUITE policy
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/core/policy.hpp"

using namespace retrain;
using namespace retrain::core;
using std::chrono::milliseconds;

namespace {

// The error message for `text`, or "ok".
std::string error_of(std::string_view text) {
  auto result = parse_policy(text);
  return result ? std::string{"ok"} : result.error().message;
}

stored_policy stored(const char* pattern, uint64_t version, const char* text) {
  auto p = parse_policy_pattern(pattern);
  auto v = parse_policy(text);
  CAF_REQUIRE(p);
  CAF_REQUIRE(v);
  return {*p, version, *v};
}

policy_base node_base() {
  policy_base base;
  strategy_spec accuracy;
  accuracy.name = "ewma_threshold";
  accuracy.params["threshold"] = "0.92";
  base.kinds[static_cast<size_t>(metric_kind::accuracy)] = accuracy;
  base.alpha = 0.2;
  base.min_samples = 5;
  base.consecutive_breaches = 3;
  base.cooldown = milliseconds{60'000};
  base.max_attempts = 3;
  base.timeout = milliseconds{3'600'000};
  return base;
}

} // namespace

CAF_TEST(patterns) {
  struct row {
    const char* pattern;
    const char* line;
    bool matches;
    int specificity;
  };
  std::vector<row> rows = {
    {"*", "fraud:scorer", true, 0},
    {"fraud:*", "fraud:scorer", true, 1},
    {"fraud:*", "fraudx:scorer", false, 1},
    {"fraud:*", "cv:fraud", false, 1},
    {"fraud:scorer", "fraud:scorer", true, 2},
    {"fraud:scorer", "fraud:scorer2", false, 2},
    {"cv:anomaly_detector", "cv:anomaly_detector", true, 2},
  };
  for (auto& r : rows) {
    auto p = parse_policy_pattern(r.pattern);
    CAF_REQUIRE(p);
    CAF_CHECK_EQUAL(p->matches(r.line), r.matches);
    CAF_CHECK_EQUAL(p->specificity(), r.specificity);
    CAF_CHECK_EQUAL(p->str(), r.pattern);
  }
  for (auto bad : {"", "fraud", "*:x", "Fraud:*", "fraud:", ":x", "a:b:c",
                   "fraud:sc*", "**"}) {
    auto p = parse_policy_pattern(bad);
    CAF_CHECK(!p);
    if (!p)
      CAF_CHECK_EQUAL(p.error().code, errc::invalid_config);
  }
}

CAF_TEST(parsing names the key of a refusal) {
  struct row {
    const char* text;
    const char* error; // a part of the message, or "ok"
  };
  std::vector<row> rows = {
    {"[retrain.threshold]\naccuracy = 0.8\n", "ok"},
    {"[retrain.threshold]\naccuracy = \"off\"\n", "ok"},
    {"[retrain.strategy]\nf1_score = \"adwin delta=0.01\"\n", "ok"},
    {"[retrain.monitor]\ncooldown = 10min ; quiet\nmin-samples=2\n", "ok"},
    {"[retrain.job]\nmax-attempts = 5\ntimeout = 30s\n"
     "command = [\"python3\", \"train.py\", \"{model}\"]\n",
     "ok"},
    {"", "sets nothing"},
    {"; only a comment\n[retrain.monitor]\n", "sets nothing"},
    {"accuracy = 0.8\n", "line 1: 'accuracy' comes before any section"},
    {"[retrain.threshold]\naccuracy = 1.5\n",
     "line 2: retrain.threshold.accuracy: accuracy value 1.5 is outside"},
    {"[retrain.threshold]\nacuracy = 0.8\n",
     "retrain.threshold.acuracy is no key"},
    {"[retrain.threshold]\naccuracy = 0.8\naccuracy = 0.7\n",
     "line 3: retrain.threshold.accuracy is given twice"},
    {"[retrain.strategy]\naccuracy = \"adwin delta=2\"\n",
     "retrain.strategy.accuracy: "},
    {"[retrain.strategy]\naccuracy = \"nope\"\n",
     "retrain.strategy.accuracy: unknown strategy"},
    {"[retrain.strategy]\naccuracy = \"adwin bogus=1\"\n",
     "retrain.strategy.accuracy: "},
    {"[retrain.monitor]\nalpha = 0\n", "retrain.monitor.alpha=0 is outside"},
    {"[retrain.monitor]\nmin-samples = 0\n",
     "retrain.monitor.min-samples must be at least 1"},
    {"[retrain.monitor]\ncooldown = 10\n", "retrain.monitor.cooldown: "},
    {"[retrain.monitor]\nsnapshot-interval = 1s\n",
     "retrain.monitor.snapshot-interval is a setting of the node"},
    {"[retrain.job]\nmax-attempts = 0\n",
     "retrain.job.max-attempts must be within [1, 100]"},
    {"[retrain.job]\ntimeout = 0s\n",
     "retrain.job.timeout must be greater than 0"},
    {"[retrain.job]\ncommand = python3\n", "retrain.job.command: expected"},
    {"[retrain.job]\ncommand = [\"\", \"x\"]\n",
     "retrain.job.command: the program name is empty"},
    {"[retrain.workers]\nx = 1\n", "[retrain.workers] is no policy section"},
    {"[retrain.threshold\n", "misses its closing ]"},
    {"[retrain.threshold]\naccuracy 0.8\n", "is not KEY = VALUE"},
    {"[retrain.threshold]\naccuracy = \"0.8\n", "closing double quote"},
  };
  for (auto& r : rows) {
    auto msg = error_of(r.text);
    if (std::string{r.error} == "ok")
      CAF_CHECK_EQUAL(msg, "ok");
    else if (msg.find(r.error) == std::string::npos)
      CAF_ERROR("for " << r.text << " expected '" << r.error << "', got '"
                       << msg << "'");
  }
}

CAF_TEST(text round trip) {
  auto text
    = "[retrain.monitor]\nalpha = 0.3\nmin-samples = 2\n"
      "consecutive-breaches = 4\ncooldown = 90s\n\n"
      "[retrain.threshold]\naccuracy = 0.8\nf1_score = \"off\"\n\n"
      "[retrain.strategy]\nlatency_ms = \"page_hinkley threshold=30\"\n\n"
      "[retrain.job]\nmax-attempts = 5\ntimeout = 30min\n"
      "command = [\"python3\", \"a \\\"b\\\"\", \"{model}\"]\n";
  auto p = parse_policy(text);
  CAF_REQUIRE(p);
  CAF_CHECK_EQUAL(to_text(*p), text);
  auto again = parse_policy(to_text(*p));
  CAF_REQUIRE(again);
  CAF_CHECK_EQUAL(to_text(*again), text);
  CAF_REQUIRE(p->command);
  CAF_CHECK_EQUAL(p->command->at(1), "a \"b\"");
}

CAF_TEST(the most specific pattern wins) {
  policy_book book;
  book.put(stored("*", 1, "[retrain.monitor]\ncooldown = 5s\n"));
  book.put(stored("fraud:*", 2, "[retrain.threshold]\naccuracy = 0.95\n"));
  book.put(
    stored("fraud:scorer", 1, "[retrain.strategy]\naccuracy = \"adwin\"\n"));
  struct row {
    const char* line;
    const char* winner;
  };
  for (auto& r : std::vector<row>{{"fraud:scorer", "fraud:scorer"},
                                  {"fraud:other", "fraud:*"},
                                  {"cv:anomaly_detector", "*"}}) {
    auto w = book.winner(r.line);
    CAF_REQUIRE(w != nullptr);
    CAF_CHECK_EQUAL(w->pattern.str(), r.winner);
  }
  book.erase("*");
  CAF_CHECK(book.winner("cv:anomaly_detector") == nullptr);
  // Put replaces the policy of the same pattern.
  book.put(stored("fraud:*", 3, "[retrain.threshold]\naccuracy = 0.9\n"));
  CAF_CHECK_EQUAL(book.entries().size(), 2u);
  CAF_CHECK_EQUAL(book.winner("fraud:x")->version, 3u);
}

CAF_TEST(resolution lays the winner over the node config) {
  auto base = node_base();
  policy_book book;
  auto r = book.resolve_line(base, "cv:a");
  CAF_CHECK_EQUAL(r.pattern, "*");
  CAF_CHECK_EQUAL(r.version, 0u);
  auto acc = static_cast<size_t>(metric_kind::accuracy);
  auto f1 = static_cast<size_t>(metric_kind::f1_score);
  CAF_REQUIRE(r.kinds[acc]);
  CAF_CHECK_EQUAL(to_text(*r.kinds[acc]),
                  "ewma_threshold alpha=0.2 consecutive_breaches=3 "
                  "direction=below min_samples=5 threshold=0.92");
  CAF_CHECK(!r.kinds[f1]);
  book.put(stored("fraud:*", 2,
                  "[retrain.threshold]\naccuracy = 0.95\n"
                  "[retrain.strategy]\nf1_score = \"adwin delta=0.01\"\n"
                  "[retrain.monitor]\nmin-samples = 2\n"
                  "[retrain.job]\nmax-attempts = 7\n"));
  r = book.resolve_line(base, "fraud:scorer");
  CAF_CHECK_EQUAL(r.pattern, "fraud:*");
  CAF_CHECK_EQUAL(r.version, 2u);
  CAF_CHECK_EQUAL(to_text(*r.kinds[acc]),
                  "ewma_threshold alpha=0.2 consecutive_breaches=3 "
                  "direction=below min_samples=2 threshold=0.95");
  CAF_CHECK_EQUAL(to_text(*r.kinds[f1]), "adwin delta=0.01");
  CAF_CHECK_EQUAL(r.max_attempts, 7u);
  CAF_CHECK_EQUAL(r.cooldown.count(), 60'000);
  // A threshold of off unwatches a kind the node watches.
  book.put(stored("cv:a", 1, "[retrain.threshold]\naccuracy = off\n"));
  r = book.resolve_line(base, "cv:a");
  CAF_CHECK(!r.kinds[acc]);
  // Latency thresholds breach above.
  book.put(stored("cv:b", 1, "[retrain.threshold]\nlatency_ms = 250\n"));
  r = book.resolve_line(base, "cv:b");
  auto lat = static_cast<size_t>(metric_kind::latency_ms);
  CAF_CHECK_EQUAL(r.kinds[lat]->params.at("direction"), "above");
}

CAF_TEST(a gate change keeps the detector and a parameter change does not ) {
  auto spec = [](const char* text) {
    auto s = parse_strategy_spec(text);
    CAF_REQUIRE(s);
    return *s;
  };
  struct row {
    const char* a;
    const char* b;
    bool same;
  };
  std::vector<row> rows = {
    {"ewma_threshold threshold=0.9 min_samples=5",
     "ewma_threshold threshold=0.9 min_samples=2", true},
    {"ewma_threshold threshold=0.9 consecutive_breaches=1",
     "ewma_threshold threshold=0.9 consecutive_breaches=3", true},
    {"ewma_threshold threshold=0.9", "ewma_threshold threshold=0.8", false},
    {"ewma_threshold threshold=0.9 alpha=0.2",
     "ewma_threshold threshold=0.9 alpha=0.3", false},
    {"adwin delta=0.01", "adwin delta=0.01", true},
    {"adwin delta=0.01", "adwin delta=0.02", false},
    {"adwin", "page_hinkley", false},
    // Only ewma_threshold has a gate in its parameters.
    {"page_hinkley min_instances=5", "page_hinkley min_instances=6", false},
  };
  for (auto& r : rows)
    CAF_CHECK_EQUAL(same_detector(spec(r.a), spec(r.b)), r.same);
}

CAF_TEST(explain names the winner and the source of every setting) {
  auto base = node_base();
  policy_book book;
  book.put(stored("*", 4, "[retrain.monitor]\ncooldown = 5s\n"));
  book.put(stored("fraud:*", 2, "[retrain.threshold]\naccuracy = 0.95\n"));
  auto e = book.explain(base, "fraud:scorer");
  CAF_CHECK_EQUAL(e.pattern, "fraud:*");
  CAF_CHECK_EQUAL(e.version, 2u);
  CAF_REQUIRE_EQUAL(e.matched.size(), 2u);
  CAF_CHECK_EQUAL(e.matched[0], "fraud:* v2");
  CAF_CHECK_EQUAL(e.matched[1], "* v4");
  auto find = [&](const char* key) -> const policy_source& {
    for (auto& s : e.settings)
      if (s.key == key)
        return s;
    CAF_FAIL("no setting " << key);
    return e.settings.front();
  };
  CAF_CHECK_EQUAL(find("strategy.accuracy").source, "policy fraud:* v2");
  CAF_CHECK_EQUAL(find("strategy.accuracy").value.find("threshold=0.95")
                    != std::string::npos,
                  true);
  // The most specific policy wins whole: the cooldown of `*` does not
  // reach a line that `fraud:*` matches.
  CAF_CHECK_EQUAL(find("monitor.cooldown").source, "node config");
  CAF_CHECK_EQUAL(find("monitor.cooldown").value, "1min");
  auto other = book.explain(base, "cv:a");
  CAF_CHECK_EQUAL(other.pattern, "*");
  CAF_CHECK_EQUAL(other.version, 4u);
  CAF_REQUIRE_EQUAL(other.matched.size(), 1u);
}

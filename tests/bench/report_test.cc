// slbench's verdicts and reports from a hand-made run: thresholds, saturation, JSON, CSV, SVG.

#include "report.h"

#include <gtest/gtest.h>

#include <string>

#include "units.h"

namespace slbench {
namespace {

// A run with a warm-up and a measured phase, one second each.
RunResult MakeRun() {
  RunResult r;
  Scenario& s = r.plan.scenario;
  s.name = "test";
  s.url = "ws://127.0.0.1:1/ws";
  s.phases.resize(2);
  s.phases[0].name = "warm";
  s.phases[0].warmup = true;
  s.phases[1].name = "main";
  r.plan.run_id = "0123abcd";
  r.plan.t0_ns = 1000 * kNsPerSec;
  r.plan.phase_start_ns = {r.plan.t0_ns, r.plan.t0_ns + kNsPerSec, r.plan.t0_ns + 2 * kNsPerSec};
  r.phases.resize(2);
  for (auto& p : r.phases) {
    p.ran = true;
    p.duration_ns = kNsPerSec;
  }
  r.drain_complete = true;
  return r;
}

// What PrintSummary writes.
std::string SummaryText(const RunResult& r, bool color) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  PrintSummary(f, r, {}, color);
  fclose(f);
  std::string text(buf, len);
  free(buf);
  return text;
}

TEST(Report, P99ThresholdJudgesMeasuredPhasesOnly) {
  RunResult r = MakeRun();
  for (int i = 0; i < 100; ++i) r.phases[0].stats.delivery.Record(50 * kNsPerMs);  // warm-up
  for (int i = 0; i < 100; ++i)
    r.phases[1].stats.delivery.Record(i < 98 ? kNsPerMs : 30 * kNsPerMs);
  Thresholds t;
  t.max_p99_ns = 20 * kNsPerMs;
  auto checks = Evaluate(r, t);
  ASSERT_EQ(1u, checks.size());
  EXPECT_FALSE(checks[0].passed);
  EXPECT_EQ("p99 delivery (main)", checks[0].what);
  EXPECT_EQ("p99 delivery in main: 30.0ms > 20.0ms", checks[0].text);

  t.max_p99_ns = 40 * kNsPerMs;
  checks = Evaluate(r, t);
  ASSERT_EQ(1u, checks.size());
  EXPECT_TRUE(checks[0].passed);
}

TEST(Report, LostAndErrorsCountTheWholeRun) {
  RunResult r = MakeRun();
  r.phases[0].stats.lost = 2;
  r.phases[1].stats.lost = 1;
  r.phases[1].stats.errors["rate_limited"] = 4;
  r.phases[1].stats.conns_failed = 1;
  EXPECT_EQ(3u, TotalLost(r));
  EXPECT_EQ(5u, TotalErrors(r));
  Thresholds t;
  t.max_lost = 3;
  t.max_errors = 4;
  auto checks = Evaluate(r, t);
  ASSERT_EQ(2u, checks.size());
  EXPECT_TRUE(checks[0].passed) << checks[0].text;
  EXPECT_FALSE(checks[1].passed) << checks[1].text;
  EXPECT_EQ("errors: 5 > 4", checks[1].text);
}

// Sends that were never answered count as lost, next to the deliveries that never came.
TEST(Report, SendsNeverAcknowledgedCountAsLost) {
  RunResult r = MakeRun();
  r.phases[1].stats.lost = 1;
  r.phases[1].stats.unacknowledged = 4;
  r.drain.unacknowledged = 2;
  EXPECT_EQ(7u, TotalLost(r));
  Thresholds t;
  t.max_lost = 0;
  auto checks = Evaluate(r, t);
  ASSERT_EQ(1u, checks.size());
  EXPECT_FALSE(checks[0].passed);
  nlohmann::json j = ReportJson(r, checks);
  EXPECT_EQ(4, j["phases"][1]["integrity"]["unacknowledged"]);
  EXPECT_NE(std::string::npos, SummaryText(r, false).find("sends never acknowledged 4"));
}

// A latency gate with nothing timed is not a pass: offered pings that were never answered
// fail it, and so does a run that timed nothing at all.
TEST(Report, P99ThresholdWithNothingMeasuredFails) {
  RunResult r = MakeRun();
  r.phases[1].stats.offered[static_cast<int>(Op::kPing)] = 40;
  Thresholds t;
  t.max_p99_ns = 50 * kNsPerMs;
  auto checks = Evaluate(r, t);
  ASSERT_EQ(1u, checks.size());
  EXPECT_FALSE(checks[0].passed);
  EXPECT_EQ("p99 ping (main)", checks[0].what);

  RunResult idle = MakeRun();
  checks = Evaluate(idle, t);
  ASSERT_EQ(1u, checks.size());
  EXPECT_FALSE(checks[0].passed) << checks[0].text;
}

TEST(Report, DuplicatesAndReorderingGateTheRun) {
  RunResult r = MakeRun();
  r.phases[1].stats.duplicated = 2;
  r.drain.out_of_order = 1;
  EXPECT_EQ(3u, TotalDisorder(r));
  Thresholds t;
  t.max_disorder = 2;
  auto checks = Evaluate(r, t);
  ASSERT_EQ(1u, checks.size());
  EXPECT_FALSE(checks[0].passed);
  EXPECT_EQ("deliveries duplicated or out of order: 3 > 2", checks[0].text);
}

TEST(Report, BelowNinetyNinePercentIsSaturated) {
  RunResult r = MakeRun();
  PhaseStats& s = r.phases[1].stats;
  s.offered[static_cast<int>(Op::kRoomMsg)] = 1000;
  s.answered[static_cast<int>(Op::kRoomMsg)] = 995;
  s.expected_deliveries = 10000;
  s.delivered = 9950;
  Derived d = Derive(r.phases[1]);
  EXPECT_DOUBLE_EQ(0.995, d.ratio);
  EXPECT_FALSE(d.saturated);
  EXPECT_DOUBLE_EQ(1000, d.offered_rate);

  s.delivered = 9800;  // deliveries fell behind although every send was answered
  d = Derive(r.phases[1]);
  EXPECT_DOUBLE_EQ(0.98, d.ratio);
  EXPECT_TRUE(d.saturated);
  Thresholds t;
  t.fail_saturated = true;
  auto checks = Evaluate(r, t);
  ASSERT_EQ(1u, checks.size());
  EXPECT_FALSE(checks[0].passed);
  EXPECT_EQ(-1, Derive(r.phases[0]).ratio);  // nothing offered: no verdict
}

TEST(Report, GeneratorNearItsCpuLimitIsFlagged) {
  RunResult r = MakeRun();
  r.cpus = 1;
  r.phases[1].self_cpu_s = 0.5;  // half of the one CPU it may use, over one second
  r.phases[1].stats.thread_cpu_ns = kNsPerSec / 2;
  Derived d = Derive(r.phases[1]);
  EXPECT_DOUBLE_EQ(50, d.cpu_percent);
  EXPECT_FALSE(GeneratorBusy(d, r.cpus));
  EXPECT_EQ(false, ReportJson(r, {})["phases"][1]["cpu"]["generator_busy"]);
  // The whole process at 96 % of its one CPU, though no loop thread passes 90 %.
  r.phases[1].self_cpu_s = 0.96;
  r.phases[1].stats.thread_cpu_ns = kNsPerSec * 85 / 100;
  d = Derive(r.phases[1]);
  EXPECT_TRUE(GeneratorBusy(d, 1));
  EXPECT_FALSE(GeneratorBusy(d, 2));  // with two CPUs it had room
  EXPECT_EQ(true, ReportJson(r, {})["phases"][1]["cpu"]["generator_busy"]);
  // One loop thread at 95 % of a core is the limit whatever the CPU count.
  r.phases[1].stats.thread_cpu_ns = kNsPerSec * 95 / 100;
  EXPECT_TRUE(GeneratorBusy(Derive(r.phases[1]), 8));
  std::string text = SummaryText(r, false);
  EXPECT_NE(std::string::npos, text.find("near its CPU limit")) << text;
}

TEST(Report, APhaseTooShortHasNoCpuFigures) {
  RunResult r = MakeRun();
  r.cpus = 1;
  r.phases[1].duration_ns = kNsPerSec / 20;  // 50 ms: 0.19 s of CPU would read as 386 %
  r.phases[1].self_cpu_s = 0.19;
  r.phases[1].stats.thread_cpu_ns = kNsPerSec / 10;
  Derived d = Derive(r.phases[1]);
  EXPECT_FALSE(d.cpu_measured);
  EXPECT_FALSE(GeneratorBusy(d, r.cpus));
  nlohmann::json j = ReportJson(r, {})["phases"][1]["cpu"];
  EXPECT_TRUE(j["self_percent"].is_null()) << j;
  EXPECT_TRUE(j["busiest_loop_thread_percent"].is_null()) << j;
  EXPECT_EQ(0.19, j["self_s"]);
  std::string text = SummaryText(r, false);
  EXPECT_NE(std::string::npos, text.find("CPU not measured (phase under 0.5 s)")) << text;
  EXPECT_EQ(std::string::npos, text.find("near its CPU limit")) << text;
  r.phases[1].duration_ns = kNsPerSec / 2;  // from half a second on, it is
  EXPECT_TRUE(Derive(r.phases[1]).cpu_measured);
}

TEST(Report, JsonCsvAndSvgCarryThePhases) {
  RunResult r = MakeRun();
  r.phases[1].stats.ack.Record(2 * kNsPerMs);
  r.phases[1].stats.lost = 1;
  MergedInterval m;
  m.second = 1;
  m.phase = 1;
  m.sent = 10;
  m.ack.count = 1;
  m.ack.p50 = m.ack.p99 = m.ack.max = 2 * kNsPerMs;
  r.timeline.push_back(m);
  Thresholds t;
  t.max_lost = 0;
  auto checks = Evaluate(r, t);

  nlohmann::json j = ReportJson(r, checks);
  EXPECT_FALSE(j["passed"]);
  EXPECT_EQ("main", j["phases"][1]["name"]);
  EXPECT_EQ(2.0, j["phases"][1]["ack_ms"]["p50"]);
  EXPECT_EQ(1, j["totals"]["lost"]);
  EXPECT_EQ(1, j["timeline"][0]["second"]);
  EXPECT_TRUE(j["drain"]["complete"]);

  std::string csv = ReportCsv(r);
  EXPECT_EQ(0u, csv.find("phase,warmup,duration_s,"));
  EXPECT_NE(std::string::npos, csv.find("\nwarm,1,1,"));
  EXPECT_NE(std::string::npos, csv.find("\nmain,0,1,"));
  // A phase name with a comma or a quote is quoted as RFC 4180 says.
  r.plan.scenario.phases[1].name = "a,\"b\"";
  EXPECT_NE(std::string::npos, ReportCsv(r).find("\n\"a,\"\"b\"\"\",0,1,"));
  r.plan.scenario.phases[1].name = "main";

  std::string svg = PlotSvg(r);
  EXPECT_EQ(0u, svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_NE(std::string::npos, svg.find(">main</text>"));
  EXPECT_NE(std::string::npos, svg.find("warm (warm-up)"));
  EXPECT_NE(std::string::npos, svg.find("</svg>"));
  EXPECT_NE(std::string::npos, svg.find(">ack latency, ms")) << svg;
  EXPECT_NE(std::string::npos, svg.find(">sent/s</text>"));
  EXPECT_EQ(std::string::npos, svg.find(">setups/s</text>"));  // nothing of it in the run
}

// The plot draws what the run measured: setup times and handshakes for the setup workload,
// connections open for the idle one, with a title that says so.
TEST(Report, PlotShowsSetupsAndConnectionsWhenThereIsNothingElse) {
  RunResult r = MakeRun();
  MergedInterval m;
  m.second = 1;
  m.phase = 1;
  m.setups = 5000;
  m.open = 64;
  m.setup.count = 5000;
  m.setup.p50 = 3 * kNsPerMs;
  m.setup.p99 = m.setup.p999 = m.setup.max = 7 * kNsPerMs;
  r.timeline.push_back(m);
  std::string svg = PlotSvg(r);
  EXPECT_NE(std::string::npos, svg.find(">connection setup (connect, upgrade, auth, join or sync)"))
      << svg;
  EXPECT_NE(std::string::npos, svg.find(">setups/s</text>"));
  EXPECT_NE(std::string::npos, svg.find(">open</text>"));
  EXPECT_EQ(std::string::npos, svg.find(">sent/s</text>"));
  EXPECT_EQ(5000, ReportJson(r, {})["timeline"][0]["setups"]);
  EXPECT_EQ(7.0, ReportJson(r, {})["timeline"][0]["setup_ms"]["p99"]);

  r.timeline[0] = MergedInterval();
  r.timeline[0].second = 1;
  r.timeline[0].open = 10000;
  svg = PlotSvg(r);
  EXPECT_NE(std::string::npos, svg.find(">no latency timed in this run")) << svg;
  EXPECT_NE(std::string::npos, svg.find(">open</text>"));
  EXPECT_EQ(std::string::npos, svg.find(">p50</text>"));
}

TEST(Report, SummaryHasNoColoursUnlessAsked) {
  RunResult r = MakeRun();
  r.phases[1].stats.lost = 1;
  std::string plain = SummaryText(r, false);
  EXPECT_NE(std::string::npos, plain.find("phase main"));
  EXPECT_NE(std::string::npos, plain.find("lost 1"));
  EXPECT_EQ(std::string::npos, plain.find('\x1b'));

  std::string coloured = SummaryText(r, true);
  EXPECT_NE(std::string::npos, coloured.find("\x1b[31m"));
}

}  // namespace
}  // namespace slbench

// What slbench does once its flags are parsed: load the scenario, run it, report, judge.

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "options.h"
#include "report.h"
#include "runner.h"
#include "scenario.h"
#include "units.h"

namespace slbench {

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) {
  if (g_stop.exchange(true)) _exit(130);  // a second signal: leave at once
}

bool Colors(int fd) {
  const char* no_color = getenv("NO_COLOR");
  return isatty(fd) && !(no_color && *no_color);
}

int Fail(const std::string& message) {
  bool color = Colors(2);
  fprintf(stderr, "slbench: %serror:%s %s\n", color ? "\x1b[1;31m" : "", color ? "\x1b[0m" : "",
          message.c_str());
  return 1;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

// The scenario from a file or a preset, with the command line's changes.
smartlink::Result<Scenario> LoadFromOptions(const Options& o) {
  std::string text, source = o.scenario;
  if (access(o.scenario.c_str(), F_OK) == 0) {
    if (!ReadFile(o.scenario, &text)) {
      return smartlink::Status::NotFound("cannot read scenario " + o.scenario);
    }
  } else if (const Preset* p = FindPreset(o.scenario)) {
    text = p->json;
    source = "preset " + o.scenario;
  } else {
    return smartlink::Status::NotFound("no scenario file or preset named '" + o.scenario +
                                       "' (see slbench --list)");
  }
  std::vector<std::string> sets = o.sets;
  auto quoted = [](const std::string& s) { return nlohmann::json(s).dump(); };
  if (!o.url.empty()) sets.push_back("url=" + quoted(o.url));
  if (!o.jwt_secret.empty() || !o.jwt_secret_file.empty()) {
    sets.push_back("auth.mode=\"token\"");
    if (!o.jwt_secret.empty()) sets.push_back("auth.secret=" + quoted(o.jwt_secret));
    if (!o.jwt_secret_file.empty()) sets.push_back("auth.secret_file=" + quoted(o.jwt_secret_file));
  }
  if (o.insecure) sets.push_back("insecure=true");
  if (!o.ca_file.empty()) sets.push_back("ca_file=" + quoted(o.ca_file));
  return LoadScenario(text, source, sets);
}

}  // namespace

int Main(const Options& o) {
  if (o.list) {
    for (const auto& p : Presets()) printf("%-14s %s\n", p.name, p.summary);
    return 0;
  }
  auto scenario = LoadFromOptions(o);
  if (!scenario.ok()) {  // a scenario that is not there or not valid: a usage error
    Fail(scenario.status().message());
    return 2;
  }
  if (o.print_scenario) {
    printf("%s\n", ScenarioToJson(*scenario).dump(2).c_str());
    return 0;
  }
  Thresholds t;
  if (!o.max_p99.empty()) t.max_p99_ns = *ParseDurationNs(o.max_p99, kNsPerMs);
  t.max_lost = o.max_lost;
  t.max_errors = o.max_errors;
  t.max_disorder = o.max_disorder;
  t.fail_saturated = o.fail_saturated;

  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  RunOptions ro;
  ro.threads = o.threads;
  ro.progress = isatty(2);
  ro.server_pid = o.server_pid;
  ro.stop = &g_stop;
  auto run = Run(*scenario, ro);
  if (!run.ok()) return Fail(run.status().message());
  const RunResult& r = *run;

  std::vector<Check> checks = Evaluate(r, t);
  PrintSummary(stdout, r, checks, Colors(1));
  fflush(stdout);
  int code = 0;
  if (!o.json_path.empty() && !WriteFile(o.json_path, ReportJson(r, checks).dump(2) + "\n")) {
    code = Fail("cannot write " + o.json_path);
  }
  if (!o.csv_path.empty() && !WriteFile(o.csv_path, ReportCsv(r))) {
    code = Fail("cannot write " + o.csv_path);
  }
  if (!o.plot_path.empty() && !WriteFile(o.plot_path, PlotSvg(r))) {
    code = Fail("cannot write " + o.plot_path);
  }

  // No connection got as far as authenticated and joined: the figures mean nothing.
  uint64_t attempted = 0, ready = 0, churned = 0;
  std::string why;
  for (const auto& p : r.phases) {
    attempted += p.stats.conns_attempted + p.stats.churn_done + p.stats.churn_failed;
    ready += p.stats.conns_ready;
    churned += p.stats.churn_done;
    for (const auto& [reason, n] : p.stats.failures) {
      if (why.empty()) why = reason;
    }
  }
  if (attempted > 0 && ready == 0 && churned == 0) {
    code =
        Fail("no connection to " + scenario->url + " succeeded" + (why.empty() ? "" : ": " + why));
  }
  for (const auto& c : checks) {
    if (!c.passed) code = Fail("threshold not met: " + c.text);
  }
  if (r.interrupted) return 130;
  return code;
}

}  // namespace slbench

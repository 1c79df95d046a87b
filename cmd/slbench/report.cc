// The human summary, the JSON report and the CSV report.

#include "report.h"

#include <sstream>

#include "smartlink/version.h"
#include "units.h"

namespace slbench {

using Json = nlohmann::json;

namespace {

struct Style {
  bool on;
  const char* bold() const { return on ? "\x1b[1m" : ""; }
  const char* red() const { return on ? "\x1b[31m" : ""; }
  const char* green() const { return on ? "\x1b[32m" : ""; }
  const char* yellow() const { return on ? "\x1b[33m" : ""; }
  const char* reset() const { return on ? "\x1b[0m" : ""; }
};

std::string Mib(double bytes) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return buf;
}

std::string Pct(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f %%", v);
  return buf;
}

std::string Latencies(const Histogram& h) {
  return "p50 " + FormatNs(h.Percentile(50)) + "  p90 " + FormatNs(h.Percentile(90)) + "  p99 " +
         FormatNs(h.Percentile(99)) + "  p99.9 " + FormatNs(h.Percentile(99.9)) + "  max " +
         FormatNs(h.max()) + "  (n=" + std::to_string(h.count()) + ")";
}

// "150.3 MiB/s" for `bytes` in `ns`.
std::string PerSecond(double bytes, int64_t ns) {
  if (ns <= 0) return "-";
  return Mib(bytes * kNsPerSec / static_cast<double>(ns)) + "/s";
}

std::string Rate(double per_s) { return FormatCount(per_s) + "/s"; }
std::string Count(uint64_t n) { return FormatCount(static_cast<double>(n)); }

Json LatencyJson(const Histogram& h) {
  return {{"count", h.count()},
          {"p50", NsToMs(h.Percentile(50))},
          {"p90", NsToMs(h.Percentile(90))},
          {"p99", NsToMs(h.Percentile(99))},
          {"p99.9", NsToMs(h.Percentile(99.9))},
          {"max", NsToMs(h.max())},
          {"mean", NsToMs(static_cast<int64_t>(h.Mean()))}};
}

Json OpsJson(const PhaseStats& s) {
  Json j = Json::object();
  for (int op = 0; op < kOps; ++op) {
    if (!s.offered[op] && !s.sent[op] && !s.answered[op] && !s.refused[op]) continue;
    j[OpName(static_cast<Op>(op))] = {{"offered", s.offered[op]},
                                      {"sent", s.sent[op]},
                                      {"answered", s.answered[op]},
                                      {"refused", s.refused[op]}};
  }
  return j;
}

Json ServerJson(const PhaseResult& p, double seconds, int64_t base_rss) {
  if (!p.server_begin.ok || !p.server_end.ok) return nullptr;
  Json j = {{"rss_bytes", p.server_end.rss_bytes},
            {"cpu_s", p.server_end.cpu_s - p.server_begin.cpu_s},
            {"cpu_percent", seconds >= kMinCpuSeconds
                                ? Json(100 * (p.server_end.cpu_s - p.server_begin.cpu_s) / seconds)
                                : Json(nullptr)}};
  if (p.connections_open > 0 && base_rss > 0) {
    j["rss_per_connection_bytes"] =
        static_cast<double>(p.server_end.rss_bytes - base_rss) / p.connections_open;
  }
  return j;
}

// The server's RSS before the first phase: the base for RSS per connection.
int64_t BaseRss(const RunResult& r) {
  return r.phases.empty() || !r.phases[0].server_begin.ok ? 0 : r.phases[0].server_begin.rss_bytes;
}

}  // namespace

void PrintSummary(FILE* out, const RunResult& r, const std::vector<Check>& checks, bool color) {
  Style st{color};
  const Scenario& sc = r.plan.scenario;
  fprintf(out, "%sslbench %s%s: scenario %s against %s, %d thread%s, run %s, %s\n", st.bold(),
          SMARTLINK_VERSION, st.reset(), sc.name.c_str(), sc.url.c_str(), r.plan.threads,
          r.plan.threads == 1 ? "" : "s", r.plan.run_id.c_str(), IsoTime(r.started_ms).c_str());
  for (size_t i = 0; i < r.phases.size(); ++i) {
    const PhaseResult& p = r.phases[i];
    const PhaseStats& s = p.stats;
    const Phase& ph = sc.phases[i];
    Derived d = Derive(p);
    if (!p.ran) {
      fprintf(out, "\n%sphase %s%s  not run\n", st.bold(), ph.name.c_str(), st.reset());
      continue;
    }
    fprintf(out, "\n%sphase %s%s  %.1f s%s\n", st.bold(), ph.name.c_str(), st.reset(), d.seconds,
            ph.warmup ? " (warm-up: not judged)" : "");
    if (s.conns_attempted || ph.connections) {
      fprintf(out,
              "  connections  %d ready at the end (target %d); %s opened, %s failed, %s dropped\n",
              p.connections_open, ph.connections, Count(s.conns_made).c_str(),
              Count(s.conns_failed).c_str(), Count(s.conns_dropped).c_str());
      if (s.conns_reopened) {
        fprintf(out, "               %s of them opened again after a drop or failure before\n",
                Count(s.conns_reopened).c_str());
      }
    }
    if (s.connect.count()) fprintf(out, "  connect      %s\n", Latencies(s.connect).c_str());
    if (s.setup.count()) fprintf(out, "  setup        %s\n", Latencies(s.setup).c_str());
    if (s.churn_done || s.churn_failed) {
      fprintf(out, "  churn        %s handshakes (%s), %s failed\n", Count(s.churn_done).c_str(),
              Rate(static_cast<double>(s.churn_done) / d.seconds).c_str(),
              Count(s.churn_failed).c_str());
      fprintf(out, "  churn setup  %s\n", Latencies(s.churn_setup).c_str());
    }
    if (s.reconnects_started) {
      fprintf(out, "  reconnect    %s of %s back and caught up; all after %s\n",
              Count(s.reconnects_done).c_str(), Count(s.reconnects_started).c_str(),
              FormatNs(s.reconnect.max()).c_str());
      fprintf(out, "  catch-up     %s\n", Latencies(s.reconnect).c_str());
      if (s.replayed) {
        fprintf(out,
                "  replayed     %s messages came live before sync and again in the catch-up "
                "(dropped by seq, as a client does)\n",
                Count(s.replayed).c_str());
      }
    }
    if (d.msgs_offered || d.msgs_acked) {
      fprintf(out, "  messages     offered %s (%s), sent %s, acknowledged %s, refused %s\n",
              Count(d.msgs_offered).c_str(),
              Rate(static_cast<double>(d.msgs_offered) / d.seconds).c_str(),
              Count(d.msgs_sent).c_str(), Count(d.msgs_acked).c_str(),
              Count(d.msgs_refused).c_str());
    }
    if (s.delivered || s.expected_deliveries) {
      fprintf(out, "  deliveries   %s of %s expected (%s)\n", Count(s.delivered).c_str(),
              Count(s.expected_deliveries).c_str(), Rate(d.delivery_rate).c_str());
    }
    auto op = [&](Op o) { return static_cast<int>(o); };
    if (s.offered[op(Op::kPing)]) {
      fprintf(out, "  pings        offered %s, sent %s, answered %s\n",
              Count(s.offered[op(Op::kPing)]).c_str(), Count(s.sent[op(Op::kPing)]).c_str(),
              Count(s.answered[op(Op::kPing)]).c_str());
    }
    if (s.offered[op(Op::kTyping)]) {
      fprintf(out,
              "  typing       offered %s, sent %s, answered %s, refused %s; %s events received\n",
              Count(s.offered[op(Op::kTyping)]).c_str(), Count(s.sent[op(Op::kTyping)]).c_str(),
              Count(s.answered[op(Op::kTyping)]).c_str(), Count(s.refused[op(Op::kTyping)]).c_str(),
              Count(s.typing_events).c_str());
    }
    if (s.offered[op(Op::kFile)]) {
      fprintf(out,
              "  files        offered %s, uploaded %s (%s), downloaded %s (%s), refused %s, "
              "corrupt %s\n",
              Count(s.offered[op(Op::kFile)]).c_str(), Count(s.files_done).c_str(),
              Mib(static_cast<double>(s.file_bytes)).c_str(), Count(s.downloads_done).c_str(),
              Mib(static_cast<double>(s.download_bytes)).c_str(),
              Count(s.refused[op(Op::kFile)]).c_str(), Count(s.downloads_corrupt).c_str());
      if (s.file.count()) {
        fprintf(out, "  upload       %s; %s per file at p50\n", Latencies(s.file).c_str(),
                PerSecond(static_cast<double>(s.file_bytes) / static_cast<double>(s.files_done),
                          s.file.Percentile(50))
                    .c_str());
      }
      if (s.download.count()) {
        fprintf(
            out, "  download     %s; %s per file at p50\n", Latencies(s.download).c_str(),
            PerSecond(static_cast<double>(s.download_bytes) / static_cast<double>(s.downloads_done),
                      s.download.Percentile(50))
                .c_str());
      }
      if (p.server_begin.ok && p.server_end.ok && s.file_bytes + s.download_bytes > 0) {
        double cpu = p.server_end.cpu_s - p.server_begin.cpu_s;
        fprintf(out, "  server cost  %.2f CPU-seconds per GB moved\n",
                cpu / (static_cast<double>(s.file_bytes + s.download_bytes) / 1e9));
      }
    }
    if (d.ratio >= 0) {
      fprintf(out, "  rate         offered %s, achieved %s: %s%s%s\n", Rate(d.offered_rate).c_str(),
              Rate(d.achieved_rate).c_str(), d.saturated ? st.yellow() : "",
              d.saturated
                  ? (Pct(100 * d.ratio) + ", SATURATED (below 99 %: not a latency point)").c_str()
                  : Pct(100 * d.ratio).c_str(),
              d.saturated ? st.reset() : "");
    }
    if (s.ack.count()) fprintf(out, "  ack          %s\n", Latencies(s.ack).c_str());
    if (s.ping.count()) fprintf(out, "  ping         %s\n", Latencies(s.ping).c_str());
    if (s.delivery.count()) fprintf(out, "  delivery     %s\n", Latencies(s.delivery).c_str());
    if (s.delivered || s.lost || s.unacknowledged || s.duplicated || s.out_of_order) {
      bool bad = s.lost || s.unacknowledged || s.duplicated || s.out_of_order;
      std::string unacked =
          s.unacknowledged ? ", sends never acknowledged " + Count(s.unacknowledged) : "";
      fprintf(out, "  integrity    %slost %s%s, duplicated %s, out of order %s%s\n",
              bad ? st.red() : "", Count(s.lost).c_str(), unacked.c_str(),
              Count(s.duplicated).c_str(), Count(s.out_of_order).c_str(), bad ? st.reset() : "");
    }
    if (!s.errors.empty() || !s.failures.empty()) {
      std::string list;
      for (const auto& [code, n] : s.errors)
        list += (list.empty() ? "" : ", ") + code + " " + std::to_string(n);
      for (const auto& [why, n] : s.failures) {
        list += (list.empty() ? "" : ", ") + ("connect: " + why) + " " + std::to_string(n);
      }
      fprintf(out, "  errors       %s%s%s\n", st.red(), list.c_str(), st.reset());
    }
    std::string gen = d.cpu_measured ? Pct(d.cpu_percent) + " of a core (busiest loop thread " +
                                           Pct(d.loop_cpu_percent) + ")"
                                     : std::string("CPU not measured (phase under 0.5 s)");
    if (s.send_lag.count()) gen += "; send lag p99 " + FormatNs(s.send_lag.Percentile(99));
    bool hot = GeneratorBusy(d, r.cpus);
    fprintf(out, "  generator    %s%s%s%s\n", hot ? st.yellow() : "", gen.c_str(),
            hot ? " (near its CPU limit: the figures may be the generator's; give it more "
                  "cores, or --threads)"
                : "",
            hot ? st.reset() : "");
    if (p.server_begin.ok && p.server_end.ok) {
      double cpu = p.server_end.cpu_s - p.server_begin.cpu_s;
      std::string srv =
          (d.cpu_measured ? Pct(100 * cpu / d.seconds) + " of a core, RSS " : std::string("RSS ")) +
          Mib(static_cast<double>(p.server_end.rss_bytes));
      if (p.connections_open > 0 && BaseRss(r) > 0) {
        srv += " (" +
               FormatCount(static_cast<double>(p.server_end.rss_bytes - BaseRss(r)) /
                           p.connections_open) +
               " bytes per connection above the start)";
      }
      fprintf(out, "  server       %s\n", srv.c_str());
    }
  }
  const PhaseStats& dr = r.drain;
  fprintf(out, "\n%sdrain%s  %.1f s: %s replies and %s deliveries arrived after the last phase\n",
          st.bold(), st.reset(), static_cast<double>(r.drain_ns) / kNsPerSec,
          Count(dr.answered[0] + dr.answered[1] + dr.answered[2] + dr.answered[3]).c_str(),
          Count(dr.delivered).c_str());
  if (!r.drain_complete && !r.interrupted) {
    fprintf(out,
            "%sthe drain ran out of time with %lld requests, sends or setups open: deliveries "
            "not in by then and sends never acknowledged count as lost (a longer \"drain\" "
            "tells late from lost)%s\n",
            st.yellow(), static_cast<long long>(r.drain_outstanding), st.reset());
  }
  if (r.receivers_with_issues) {
    fprintf(out,
            "%s%llu receiver conversations lost, duplicated or reordered messages%s, such as:\n",
            st.red(), static_cast<unsigned long long>(r.receivers_with_issues), st.reset());
    for (size_t i = 0; i < r.issues.size() && i < 5; ++i) {
      const auto& is = r.issues[i];
      fprintf(out, "  %s in %s: lost %llu, duplicated %llu, out of order %llu\n", is.user.c_str(),
              is.conv.c_str(), static_cast<unsigned long long>(is.lost),
              static_cast<unsigned long long>(is.duplicated),
              static_cast<unsigned long long>(is.out_of_order));
    }
  }
  if (r.interrupted)
    fprintf(out, "%sinterrupted: the figures cover the run so far%s\n", st.yellow(), st.reset());
  if (r.abandoned) {
    fprintf(out, "%sstopped early: every connection failed its setup, so the rest was not run%s\n",
            st.red(), st.reset());
  }
  if (!checks.empty()) {
    bool pass = true;
    for (const auto& c : checks) pass = pass && c.passed;
    fprintf(out, "\n%s%s%s\n", pass ? st.green() : st.red(), pass ? "PASS" : "FAIL", st.reset());
    for (const auto& c : checks) {
      fprintf(out, "  %s%s%s %s\n", c.passed ? st.green() : st.red(), c.passed ? "ok  " : "FAIL",
              st.reset(), c.text.c_str());
    }
  }
}

Json ReportJson(const RunResult& r, const std::vector<Check>& checks) {
  Json phases = Json::array();
  const Scenario& sc = r.plan.scenario;
  for (size_t i = 0; i < r.phases.size(); ++i) {
    const PhaseResult& p = r.phases[i];
    const PhaseStats& s = p.stats;
    Derived d = Derive(p);
    Json errors = Json::object();
    for (const auto& [code, n] : s.errors) errors[code] = n;
    Json failures = Json::object();
    for (const auto& [why, n] : s.failures) failures[why] = n;
    Json j = {
        {"name", sc.phases[i].name},
        {"warmup", sc.phases[i].warmup},
        {"ran", p.ran},
        {"duration_s", d.seconds},
        {"connections",
         {{"target", sc.phases[i].connections},
          {"ready_at_end", p.connections_open},
          {"attempted", s.conns_attempted},
          {"made", s.conns_made},
          {"failed", s.conns_failed},
          {"ready", s.conns_ready},
          {"dropped", s.conns_dropped},
          {"reopened", s.conns_reopened},
          {"connect_ms", LatencyJson(s.connect)},
          {"setup_ms", LatencyJson(s.setup)}}},
        {"messages",
         {{"offered", d.msgs_offered},
          {"sent", d.msgs_sent},
          {"acknowledged", d.msgs_acked},
          {"refused", d.msgs_refused},
          {"delivered", s.delivered},
          {"expected_deliveries", s.expected_deliveries},
          {"unanswered", s.unanswered}}},
        {"requests", OpsJson(s)},
        {"rate",
         {{"offered_per_s", d.offered_rate},
          {"achieved_per_s", d.achieved_rate},
          {"achieved_ratio", d.ratio >= 0 ? Json(d.ratio) : Json(nullptr)},
          {"saturated", d.saturated},
          {"delivered_per_s", d.delivery_rate},
          {"expected_deliveries_per_s", d.expected_delivery_rate}}},
        {"ack_ms", LatencyJson(s.ack)},
        {"delivery_ms", LatencyJson(s.delivery)},
        {"ping_ms", LatencyJson(s.ping)},
        {"send_lag_ms", LatencyJson(s.send_lag)},
        {"integrity",
         {{"lost", s.lost},
          {"unacknowledged", s.unacknowledged},
          {"duplicated", s.duplicated},
          {"out_of_order", s.out_of_order}}},
        {"errors", errors},
        {"connect_failures", failures},
        {"events", {{"typing", s.typing_events}, {"other", s.other_events}}},
        {"traffic",
         {{"frames_out", s.frames_out},
          {"frames_in", s.frames_in},
          {"payload_bytes_out", s.bytes_out},
          {"payload_bytes_in", s.bytes_in}}},
        {"cpu",
         {{"self_s", p.self_cpu_s},
          {"self_percent", d.cpu_measured ? Json(d.cpu_percent) : Json(nullptr)},
          {"busiest_loop_thread_percent",
           d.cpu_measured ? Json(d.loop_cpu_percent) : Json(nullptr)},
          {"generator_busy", GeneratorBusy(d, r.cpus)}}},
        {"server", ServerJson(p, d.seconds, BaseRss(r))},
    };
    if (s.churn_done || s.churn_failed) {
      j["churn"] = {{"handshakes", s.churn_done},
                    {"failed", s.churn_failed},
                    {"per_s", d.seconds > 0 ? static_cast<double>(s.churn_done) / d.seconds : 0},
                    {"setup_ms", LatencyJson(s.churn_setup)}};
    }
    if (s.reconnects_started) {
      j["reconnect"] = {{"started", s.reconnects_started},
                        {"caught_up", s.reconnects_done},
                        {"replayed", s.replayed},
                        {"all_caught_up_ms", NsToMs(s.reconnect.max())},
                        {"catch_up_ms", LatencyJson(s.reconnect)}};
    }
    if (s.offered[static_cast<int>(Op::kFile)]) {
      j["files"] = {{"uploaded", s.files_done},
                    {"uploaded_bytes", s.file_bytes},
                    {"downloaded", s.downloads_done},
                    {"downloaded_bytes", s.download_bytes},
                    {"corrupt", s.downloads_corrupt},
                    {"upload_ms", LatencyJson(s.file)},
                    {"download_ms", LatencyJson(s.download)}};
      if (p.server_begin.ok && p.server_end.ok && s.file_bytes + s.download_bytes > 0) {
        j["files"]["server_cpu_s_per_gb"] =
            (p.server_end.cpu_s - p.server_begin.cpu_s) /
            (static_cast<double>(s.file_bytes + s.download_bytes) / 1e9);
      }
    }
    phases.push_back(std::move(j));
  }
  Json timeline = Json::array();
  for (const auto& m : r.timeline) {
    auto pj = [](const Percentiles& p) {
      return Json{{"count", p.count},
                  {"p50", NsToMs(p.p50)},
                  {"p99", NsToMs(p.p99)},
                  {"p99.9", NsToMs(p.p999)},
                  {"max", NsToMs(p.max)}};
    };
    size_t ph = static_cast<size_t>(m.phase);
    timeline.push_back({{"second", m.second},
                        {"phase", ph < sc.phases.size() ? sc.phases[ph].name : "drain"},
                        {"open", m.open},
                        {"sent", m.sent},
                        {"answered", m.answered},
                        {"delivered", m.delivered},
                        {"errors", m.errors},
                        {"setups", m.setups},
                        {"ack_ms", pj(m.ack)},
                        {"delivery_ms", pj(m.delivery)},
                        {"ping_ms", pj(m.ping)},
                        {"setup_ms", pj(m.setup)}});
  }
  Json issues = Json::array();
  for (const auto& is : r.issues) {
    issues.push_back({{"user", is.user},
                      {"conv", is.conv},
                      {"lost", is.lost},
                      {"duplicated", is.duplicated},
                      {"out_of_order", is.out_of_order}});
  }
  Json jchecks = Json::array();
  bool passed = true;
  for (const auto& c : checks) {
    jchecks.push_back({{"what", c.what},
                       {"limit", c.limit},
                       {"value", c.value},
                       {"passed", c.passed},
                       {"text", c.text}});
    passed = passed && c.passed;
  }
  Json scenario = ScenarioToJson(sc);
  scenario["prefix"] = r.plan.prefix;
  const PhaseStats& dr = r.drain;
  return {{"slbench", SMARTLINK_VERSION},
          {"run_id", r.plan.run_id},
          {"started_at", IsoTime(r.started_ms)},
          {"threads", r.plan.threads},
          {"scenario", scenario},
          {"phases", phases},
          {"drain",
           {{"duration_s", static_cast<double>(r.drain_ns) / kNsPerSec},
            {"complete", r.drain_complete},
            {"outstanding", r.drain_outstanding},
            {"delivered", dr.delivered},
            {"lost", dr.lost},
            {"unacknowledged", dr.unacknowledged},
            {"duplicated", dr.duplicated},
            {"out_of_order", dr.out_of_order},
            {"requests", OpsJson(dr)}}},
          {"totals",
           {{"lost", TotalLost(r)},
            {"errors", TotalErrors(r)},
            {"receivers_with_issues", r.receivers_with_issues},
            {"self_cpu_s", r.self_cpu_s}}},
          {"receiver_issues", issues},
          {"timeline", timeline},
          {"checks", jchecks},
          {"passed", passed},
          {"interrupted", r.interrupted},
          {"stopped_early", r.abandoned}};
}

namespace {

// A CSV field as RFC 4180 writes one: quoted when it holds a comma, quote or line break.
std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string ReportCsv(const RunResult& r) {
  std::ostringstream o;
  o << "phase,warmup,duration_s,connections_ready,connections_made,connections_failed,"
       "messages_offered,messages_sent,messages_acknowledged,deliveries,expected_deliveries,"
       "offered_per_s,achieved_per_s,achieved_pct,saturated,"
       "ack_p50_ms,ack_p90_ms,ack_p99_ms,ack_p999_ms,ack_max_ms,"
       "delivery_p50_ms,delivery_p90_ms,delivery_p99_ms,delivery_p999_ms,delivery_max_ms,"
       "ping_p50_ms,ping_p90_ms,ping_p99_ms,ping_p999_ms,ping_max_ms,"
       "connect_p50_ms,connect_p99_ms,lost,duplicated,out_of_order,errors,"
       "slbench_cpu_pct,loop_cpu_pct,server_cpu_pct,server_rss_bytes,unacknowledged,ran\n";
  auto lat = [&o](const Histogram& h) {
    o << NsToMs(h.Percentile(50)) << ',' << NsToMs(h.Percentile(90)) << ','
      << NsToMs(h.Percentile(99)) << ',' << NsToMs(h.Percentile(99.9)) << ',' << NsToMs(h.max())
      << ',';
  };
  for (size_t i = 0; i < r.phases.size(); ++i) {
    const PhaseResult& p = r.phases[i];
    const PhaseStats& s = p.stats;
    Derived d = Derive(p);
    const Phase& ph = r.plan.scenario.phases[i];
    o << CsvField(ph.name) << ',' << (ph.warmup ? 1 : 0) << ',' << d.seconds << ','
      << p.connections_open << ',' << s.conns_made << ',' << s.conns_failed << ',' << d.msgs_offered
      << ',' << d.msgs_sent << ',' << d.msgs_acked << ',' << s.delivered << ','
      << s.expected_deliveries << ',' << d.offered_rate << ',' << d.achieved_rate << ','
      << (d.ratio >= 0 ? 100 * d.ratio : 0) << ',' << (d.saturated ? 1 : 0) << ',';
    lat(s.ack);
    lat(s.delivery);
    lat(s.ping);
    o << NsToMs(s.connect.Percentile(50)) << ',' << NsToMs(s.connect.Percentile(99)) << ','
      << s.lost << ',' << s.duplicated << ',' << s.out_of_order << ',' << d.errors << ',';
    if (d.cpu_measured)
      o << d.cpu_percent << ',' << d.loop_cpu_percent;
    else
      o << ',';
    o << ',';
    if (p.server_begin.ok && p.server_end.ok) {
      if (d.cpu_measured) o << 100 * (p.server_end.cpu_s - p.server_begin.cpu_s) / d.seconds;
      o << ',' << p.server_end.rss_bytes;
    } else {
      o << ',';
    }
    o << ',' << s.unacknowledged << ',' << (p.ran ? 1 : 0) << '\n';
  }
  return o.str();
}

}  // namespace slbench

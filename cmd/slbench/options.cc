#include "options.h"

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "units.h"

namespace slbench {

namespace {

// A report file: not a flag taken by mistake as its name (`--json --print-scenario`), and in
// a directory that exists, so that a bad path fails before the run rather than after it.
CLI::Validator ReportFile() {
  return CLI::Validator(
      [](std::string& path) -> std::string {
        if (path.empty() || path[0] == '-') {
          return "wants a FILE name, not '" + path + "'";
        }
        size_t slash = path.rfind('/');
        std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
        if (access(dir.c_str(), W_OK) != 0) {
          return "cannot write in " + dir + ": " + strerror(errno);
        }
        return "";
      },
      "FILE");
}

CLI::Validator WholeNumberAtLeast(long long lo) {
  return CLI::Validator(
      [lo](std::string& v) -> std::string {
        char* end = nullptr;
        errno = 0;
        long long n = strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end || errno == ERANGE || n < lo) {
          return "must be a whole number, " + std::to_string(lo) + " or more, not '" + v + "'";
        }
        return "";
      },
      "N");
}

CLI::Validator RunningProcess() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        char* end = nullptr;
        errno = 0;
        long pid = strtol(v.c_str(), &end, 10);
        if (v.empty() || *end || errno == ERANGE || pid <= 0 || pid > INT32_MAX) {
          return "must be a process id, not '" + v + "'";
        }
        if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
          return "no process " + v + " is running";
        }
        return "";
      },
      "PID");
}

}  // namespace

void AddFlags(CLI::App& app, Options& o) {
  app.footer(
      "SCENARIO is a JSON file or a preset (see --list). Exit status: 0 success; 1 the run\n"
      "failed (no connection, a report not written) or a threshold was not met; 130\n"
      "interrupted; 2 a usage error (a bad flag, scenario or --set).");
  app.add_option("scenario", o.scenario, "Scenario file (JSON) or preset name (default smoke)")
      ->option_text("SCENARIO");
  app.add_option("-u,--url", o.url,
                 "Server URL, ws://HOST:PORT/ws or wss://... (default: the "
                 "scenario's, else ws://127.0.0.1:8080/ws)")
      ->option_text("URL");
  app.add_option("-s,--set", o.sets,
                 "Change the scenario: PATH=VALUE, such as rate=5000 or phases.1.duration=30s "
                 "(repeatable)")
      ->option_text("PATH=VALUE");
  app.add_option("-t,--threads", o.threads, "Event-loop threads (connections are dealt out)")
      ->check(CLI::Range(1, 64))
      ->option_text("N (1-64, default 1)");
  app.add_option("--jwt-secret", o.jwt_secret,
                 "Authenticate with HS256 tokens minted from this secret (the server's)")
      ->option_text("SECRET");
  app.add_option("--jwt-secret-file", o.jwt_secret_file, "File holding the HS256 secret")
      ->check(CLI::ExistingFile)
      ->option_text("FILE");
  app.add_flag("--insecure", o.insecure, "wss://: do not verify the server's certificate");
  app.add_option("--ca-file", o.ca_file, "wss://: verify the server against this CA (PEM)")
      ->check(CLI::ExistingFile)
      ->option_text("FILE");
  app.add_option("--json", o.json_path, "Write the full report as JSON to FILE")
      ->check(ReportFile())
      ->option_text("FILE");
  app.add_option("--csv", o.csv_path, "Write one CSV row per phase to FILE")
      ->check(ReportFile())
      ->option_text("FILE");
  app.add_option("--plot", o.plot_path, "Write latency and throughput over time as SVG to FILE")
      ->check(ReportFile())
      ->option_text("FILE");
  app.add_option("--max-p99", o.max_p99,
                 "Fail (exit 1) if a measured phase's ack, ping or delivery p99 is above D "
                 "(such as 20ms; a bare number is milliseconds)")
      ->check(CLI::Validator(
          [](std::string& s) {
            return ParseDurationNs(s, kNsPerMs) ? std::string()
                                                : "not a duration such as 20ms or 500us: " + s;
          },
          "DURATION"))
      ->option_text("D");
  app.add_option("--max-lost", o.max_lost, "Fail (exit 1) if more than N messages were lost")
      ->check(WholeNumberAtLeast(0))
      ->option_text("N");
  app.add_option("--max-disorder", o.max_disorder,
                 "Fail (exit 1) if more than N deliveries arrived twice or out of order")
      ->check(WholeNumberAtLeast(0))
      ->option_text("N");
  app.add_option("--max-errors", o.max_errors,
                 "Fail (exit 1) if more than N errors (error replies, failed or dropped "
                 "connections) occurred")
      ->check(WholeNumberAtLeast(0))
      ->option_text("N");
  app.add_flag("--fail-saturated", o.fail_saturated,
               "Fail (exit 1) if a measured phase achieved less than 99 % of its offered rate");
  app.add_option("--server-pid", o.server_pid,
                 "Report this local process's CPU use and RSS per phase (the server's pid)")
      ->check(RunningProcess())
      ->option_text("PID");
  app.add_flag("--list", o.list, "List the built-in scenarios and exit");
  app.add_flag("--print-scenario", o.print_scenario,
               "Print the scenario, with every default filled in, as JSON and exit");
}

}  // namespace slbench

#include "options.h"

#include <CLI/CLI.hpp>

#include "units.h"

namespace slbench {

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
      ->option_text("FILE");
  app.add_option("--csv", o.csv_path, "Write one CSV row per phase to FILE")->option_text("FILE");
  app.add_option("--plot", o.plot_path, "Write latency and throughput over time as SVG to FILE")
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
      ->check(CLI::NonNegativeNumber)
      ->option_text("N");
  app.add_option("--max-errors", o.max_errors,
                 "Fail (exit 1) if more than N errors (error replies, failed or dropped "
                 "connections) occurred")
      ->check(CLI::NonNegativeNumber)
      ->option_text("N");
  app.add_flag("--fail-saturated", o.fail_saturated,
               "Fail (exit 1) if a measured phase achieved less than 99 % of its offered rate");
  app.add_option("--server-pid", o.server_pid,
                 "Report this local process's CPU use and RSS per phase (the server's pid)")
      ->check(CLI::PositiveNumber)
      ->option_text("PID");
  app.add_flag("--list", o.list, "List the built-in scenarios and exit");
  app.add_flag("--print-scenario", o.print_scenario,
               "Print the scenario, with every default filled in, as JSON and exit");
}

}  // namespace slbench

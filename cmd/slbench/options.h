#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;  // <CLI/CLI.hpp>: only the .cc files that parse include it (~7 s a TU)
}  // namespace CLI

namespace slbench {

// slbench's command line. Every flag is also in man/slbench.1 and completions/slbench.bash.
struct Options {
  std::string scenario = "smoke";  // a JSON file or a preset name
  std::string url;
  std::vector<std::string> sets;  // PATH=VALUE changes to the scenario
  int threads = 1;
  std::string jwt_secret;
  std::string jwt_secret_file;
  bool insecure = false;
  std::string ca_file;
  std::string json_path, csv_path, plot_path;
  std::string max_p99;
  int64_t max_lost = -1;
  int64_t max_errors = -1;
  int64_t max_disorder = -1;
  bool fail_saturated = false;
  int server_pid = 0;
  bool list = false;
  bool print_scenario = false;
};

void AddFlags(CLI::App& app, Options& o);

// Runs slbench with parsed options; returns the exit code: 0 ok, 1 runtime failure or a
// threshold not met, 130 interrupted.
int Main(const Options& o);

}  // namespace slbench

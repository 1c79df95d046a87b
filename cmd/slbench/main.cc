// slbench: the SmartLink load generator. Flags in options.cc; the run in command.cc.

#include <CLI/CLI.hpp>
#include <string>

#include "options.h"
#include "smartlink/version.h"

int main(int argc, char** argv) {
  CLI::App app{
      "slbench: open-loop load for SmartLink servers, checking every message arrived once and "
      "in order",
      "slbench"};
  app.set_version_flag("--version", "slbench " SMARTLINK_VERSION);
  // Usage errors too read "slbench: error: ...", with CLI11's exit codes.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("slbench: error: ") + e.what() + "\nRun with --help for more information.\n";
  });
  slbench::Options opt;
  slbench::AddFlags(app, opt);
  CLI11_PARSE(app, argc, argv);
  return slbench::Main(opt);
}

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
  // Usage errors too read "slbench: error: ...", and exit 2 like slchat's.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("slbench: error: ") + e.what() + "\nRun with --help for more information.\n";
  });
  slbench::Options opt;
  slbench::AddFlags(app, opt);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return slbench::Main(opt);
}

// slbench: the SmartLink load generator. Flags in options.cc; the run in command.cc.

#include "options.h"
#include "smartlink/version.h"

int main(int argc, char** argv) {
  CLI::App app{
      "slbench: open-loop load for SmartLink servers, checking every message arrived once and "
      "in order",
      "slbench"};
  app.set_version_flag("--version", "slbench " SMARTLINK_VERSION);
  slbench::Options opt;
  slbench::AddFlags(app, opt);
  CLI11_PARSE(app, argc, argv);
  return slbench::Main(opt);
}

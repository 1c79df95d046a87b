#include "options.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace slchat {

const char kHelpFooter[] = R"(
Modes:
  slchat URL                 interactive chat when stdin is a terminal (/help lists commands)
  slchat URL < script        run commands from stdin, one per line (same grammar)
  slchat URL --exec CMD ...  run these commands, then exit
  slchat SUBCOMMAND URL ...  one-shot commands for shell scripts (slchat SUBCOMMAND --help)

Environment: SL_URL, SL_USER, SL_TOKEN; NO_COLOR disables colours.

Exit codes: 0 success; 1 runtime failure (connection, refused request, wait-for timeout);
2 usage error; 130 interrupted (SIGINT); 143 terminated (SIGTERM).
)";

namespace {

// CLI11's own range checks print DBL_MAX in full and call a word "not in range"; these say
// what is expected.
CLI::Validator SecondsUpTo(double max) {
  return CLI::Validator(
      [max](std::string& v) -> std::string {
        char* end = nullptr;
        errno = 0;
        double d = strtod(v.c_str(), &end);
        if (v.empty() || *end || errno == ERANGE || !std::isfinite(d) || d < 0 || d > max) {
          return "must be a number of seconds from 0 to " + std::to_string(std::lround(max)) +
                 ", not '" + v + "'";
        }
        return "";
      },
      "SECONDS");
}

CLI::Validator WholeNumberIn(long lo, long hi) {
  return CLI::Validator(
      [lo, hi](std::string& v) -> std::string {
        char* end = nullptr;
        errno = 0;
        long n = strtol(v.c_str(), &end, 10);
        if (v.empty() || *end || errno == ERANGE || n < lo || n > hi) {
          return "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                 ", not '" + v + "'";
        }
        return "";
      },
      "INT in [" + std::to_string(lo) + " - " + std::to_string(hi) + "]");
}

CLI::Validator Conversation() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        if (v.size() > 1 && (v[0] == '#' || v[0] == '@')) return "";
        return "'" + v + "' is not a conversation: write #ROOM or @USER";
      },
      "#ROOM|@USER");
}

void AddUrl(CLI::App* sub, Options& o) {
  sub->add_option("url", o.url, "Server URL: ws://host:port or wss://host:port")->required();
}

}  // namespace

void AddOptions(CLI::App& app, Options& o) {
  app.fallthrough();  // global options may come after a subcommand
  app.add_option("url", o.url, "Server URL: ws://host:port or wss://host:port (path /ws)")
      ->envname("SL_URL");
  app.add_option("-u,--user", o.user, "User name on an open-auth server (default: $USER)")
      ->envname("SL_USER");
  app.add_option("-t,--token", o.token, "JWT to authenticate with")->envname("SL_TOKEN");
  app.add_option("--ca", o.ca_file, "Verify wss:// against this CA certificate (PEM)")
      ->check(CLI::ExistingFile);
  app.add_flag("-k,--insecure", o.insecure, "Do not verify the server's TLS certificate");
  app.add_flag("--json", o.json, "Print every event (and result) as one JSON object per line");
  app.add_option("-e,--exec", o.exec,
                 "Run this command (repeatable) instead of reading stdin, then exit");
  app.add_option("--key", o.keys, "End-to-end passphrase of a room, ROOM=PASSPHRASE (repeatable)");

  CLI::App* send = app.add_subcommand("send", "Send one message and exit");
  AddUrl(send, o);
  send->add_option("target", o.target, "#ROOM or @USER")->required()->check(Conversation());
  send->add_option("text", o.text, "The text; '-' or none: read stdin");

  CLI::App* tail = app.add_subcommand("tail", "Print a conversation's latest messages");
  AddUrl(tail, o);
  tail->add_option("conv", o.conv, "#ROOM or @USER")->required()->check(Conversation());
  tail->add_option("-n,--lines", o.lines, "How many of the latest messages (default 10)")
      ->check(WholeNumberIn(0, 200));
  tail->add_option("--since", o.since, "Instead: every message after this seq")
      ->check(WholeNumberIn(0, std::numeric_limits<long>::max()));
  tail->add_flag("-f,--follow", o.follow, "Keep printing new messages (reconnecting as needed)");

  CLI::App* history = app.add_subcommand("history", "Print a page of a conversation's history");
  AddUrl(history, o);
  history->add_option("conv", o.conv, "#ROOM or @USER")->required()->check(Conversation());
  history->add_option("--limit", o.limit, "How many messages (at most 200)")
      ->check(WholeNumberIn(1, 200));
  history->add_option("--before", o.before, "Messages before this seq")
      ->check(WholeNumberIn(1, std::numeric_limits<long>::max()));
  history->add_option("--after", o.after, "Messages after this seq")
      ->check(WholeNumberIn(0, std::numeric_limits<long>::max()));

  CLI::App* upload = app.add_subcommand("upload", "Send a file to a conversation");
  AddUrl(upload, o);
  upload->add_option("target", o.target, "#ROOM or @USER")->required()->check(Conversation());
  upload->add_option("file", o.file, "The file; a pipe or device (/dev/stdin) is read first")
      ->required()
      ->check(CLI::ExistingFile);

  CLI::App* download = app.add_subcommand("download", "Download a file and check its SHA-256");
  AddUrl(download, o);
  download->add_option("file_id", o.file_id, "The file's id")->required();
  download->add_option(
      "path", o.path,
      "Where to write it (default: its name; a directory: its name in it; '-': stdout)");

  CLI::App* wait = app.add_subcommand(
      "wait-for", "Wait for an event matching a regular expression; exit 0, or 1 on timeout");
  AddUrl(wait, o);
  wait->add_option("pattern", o.pattern,
                   "ECMAScript regular expression, matched against each event's text line "
                   "(its JSON with --json)")
      ->required();
  wait->add_option("--timeout", o.timeout, "Give up after this many seconds (default, or 0: never)")
      ->check(SecondsUpTo(30 * 86400));
  CLI::Option* conv =
      wait->add_option("--conv", o.conv, "Only events of this conversation")->check(Conversation());
  wait->add_option("--since", o.since, "Also match the messages of --conv stored after this seq")
      ->check(WholeNumberIn(0, std::numeric_limits<long>::max()))
      ->needs(conv);

  for (CLI::App* sub : {send, tail, history, upload, download, wait}) {
    sub->callback([&o, sub] { o.command = sub->get_name(); });
    // CLI11 lists only a subcommand's own options; the global ones apply as well.
    sub->footer(
        "Also: -u,--user NAME  -t,--token JWT  --json  --key ROOM=PASSPHRASE  --ca FILE  "
        "-k,--insecure\n(before or after the subcommand; slchat --help says more)");
  }
}

}  // namespace slchat

#pragma once

// slchat's command line: global options, the interactive/scripted mode and the one-shot
// subcommands (send, tail, history, upload, download, wait-for).

#include <string>
#include <vector>

namespace CLI {
class App;  // <CLI/CLI.hpp>: only the .cc files that parse include it (~7 s a TU)
}  // namespace CLI

namespace slchat {

struct Options {
  // Global.
  std::string url;
  std::string user;
  std::string token;
  std::string ca_file;
  bool insecure = false;
  bool json = false;
  std::vector<std::string> exec;  // commands instead of stdin
  std::vector<std::string> keys;  // ROOM=PASSPHRASE

  // Subcommands.
  std::string target;   // send, upload: #room or @user
  std::string conv;     // tail, history, wait-for
  std::string text;     // send
  std::string file;     // upload
  std::string file_id;  // download
  std::string path;     // download
  std::string pattern;  // wait-for
  int64_t since = -1;   // tail, wait-for
  int lines = 10;       // tail -n
  bool follow = false;  // tail
  int limit = 50;       // history
  int64_t before = 0;   // history
  int64_t after = -1;   // history
  double timeout = 0;   // wait-for; 0: forever

  // Which subcommand ran (empty: interactive or scripted).
  std::string command;
};

// Declares every flag and subcommand on `app`, writing into `o`.
void AddOptions(CLI::App& app, Options& o);

// The text after the options in --help: modes, examples, exit codes.
extern const char kHelpFooter[];

}  // namespace slchat

#pragma once

// slchat's ways of running, chosen by main(): the interactive REPL, scripts (stdin or
// --exec) and one-shot subcommands. Each returns the process exit code.

#include <map>
#include <string>

#include "chat.h"
#include "options.h"

namespace slchat {

// Everything the modes share, resolved from the command line.
struct Setup {
  Options options;
  SessionOptions session;
  std::map<std::string, std::string> passphrases;  // room -> passphrase (--key)
  bool color = false;                              // colours on stdout
};

int RunRepl(const Setup& setup);
int RunScript(const Setup& setup);
int RunOneShot(const Setup& setup);

}  // namespace slchat

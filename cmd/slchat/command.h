#pragma once

// The slchat command grammar, shared by the REPL, scripts (stdin, --exec) and /help.
// Pure: no I/O. Thread-compatible.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slchat {

// What a positional argument names, for tab completion.
enum class ArgKind { kNone, kCommand, kConv, kRoom, kUser, kFile, kStream, kStatus, kLiveAction };

struct FlagSpec {
  const char* name;  // without the leading "--"
  bool takes_value;
  const char* help;
};

// One command of the grammar: `/name positional... [--flag [value]]...`.
struct CommandSpec {
  const char* name;
  std::vector<const char*> aliases;
  const char* args;  // usage after the name: "ROOM|KEY [PASSWORD]"
  const char* summary;
  const char* details;  // longer help, may be empty
  int min_args;
  int max_args;                // -1: unbounded
  bool rest_is_text;           // the last positional takes the rest of the line verbatim
  std::vector<ArgKind> kinds;  // per positional; the last one repeats
  std::vector<FlagSpec> flags;
};

// A parsed line. A line that does not start with '/' (or starts with "//") is text for the
// current conversation: `name` is empty and `text` holds it.
struct Command {
  std::string name;  // canonical name, without '/'
  std::vector<std::string> args;
  std::map<std::string, std::string> flags;  // boolean flags map to ""
  std::string text;

  bool is_text() const { return name.empty(); }
  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::string Flag(const std::string& flag, const std::string& fallback = "") const;
  std::string Arg(size_t i, const std::string& fallback = "") const {
    return i < args.size() ? args[i] : fallback;
  }
};

// Every command, in /help order.
const std::vector<CommandSpec>& Commands();
// By name or alias (without '/'); null when unknown.
const CommandSpec* FindCommand(std::string_view name);

// Parses one input line. On a usage error returns nullopt with `error` set, e.g.
// "/join: missing ROOM|KEY (usage: /join ROOM|KEY [PASSWORD] ...)".
std::optional<Command> ParseCommand(std::string_view line, std::string* error);

// Splits `s` into words: whitespace separates, '...' and "..." quote, backslash escapes.
// Returns nullopt on an unterminated quote.
std::optional<std::vector<std::string>> SplitWords(std::string_view s);

// "/join ROOM|KEY [PASSWORD] [--e2e PASSPHRASE] [--since SEQ]".
std::string Usage(const CommandSpec& spec);
// The full help of one command, or the list of all when `name` is empty. Unknown: nullopt.
std::optional<std::string> HelpText(std::string_view name);

// Completion: what the word under the cursor is, given the text before the cursor.
struct CompletionRequest {
  ArgKind kind = ArgKind::kNone;
  std::string word;       // the partial word being completed
  size_t word_start = 0;  // its offset in the line
};
CompletionRequest WhatToComplete(std::string_view line_before_cursor);

// The candidates among `names` that start with `word`, sorted and unique.
std::vector<std::string> MatchPrefix(const std::vector<std::string>& names, std::string_view word);
// The longest common prefix of `words`.
std::string CommonPrefix(const std::vector<std::string>& words);

}  // namespace slchat

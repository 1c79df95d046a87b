#include "command.h"

#include <algorithm>
#include <cctype>

namespace slchat {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void SkipSpace(std::string_view s, size_t* pos) {
  while (*pos < s.size() && IsSpace(s[*pos])) ++*pos;
}

// Reads one word at *pos (quotes and backslashes as SplitWords). False on an unterminated
// quote.
bool ReadWord(std::string_view s, size_t* pos, std::string* out) {
  out->clear();
  char quote = 0;
  size_t i = *pos;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < s.size()) {
        out->push_back(s[++i]);
      } else {
        out->push_back(c);
      }
      continue;
    }
    if (IsSpace(c)) break;
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '\\' && i + 1 < s.size()) {
      out->push_back(s[++i]);
    } else {
      out->push_back(c);
    }
  }
  *pos = i;
  return quote == 0;
}

std::string TrimRight(std::string_view s) {
  size_t n = s.size();
  while (n > 0 && IsSpace(s[n - 1])) --n;
  return std::string(s.substr(0, n));
}

const FlagSpec* FindFlag(const CommandSpec& spec, std::string_view name) {
  for (const FlagSpec& f : spec.flags) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

std::string Metavar(const FlagSpec& f) {
  static const std::map<std::string, std::string> kNames = {
      {"e2e", "PASSPHRASE"}, {"reply", "SEQ"}, {"since", "SEQ"},        {"before", "SEQ"},
      {"after", "SEQ"},      {"limit", "N"},   {"conv", "CONV"},        {"timeout", "SECONDS"},
      {"call", "CALL_ID"},   {"to", "CONV"},   {"password", "PASSWORD"}};
  auto it = kNames.find(f.name);
  if (it != kNames.end()) return it->second;
  std::string up = f.name;
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return up;
}

std::optional<Command> Fail(std::string* error, const CommandSpec& spec, const std::string& what) {
  *error = "/" + std::string(spec.name) + ": " + what + " (usage: " + Usage(spec) + ")";
  return std::nullopt;
}

}  // namespace

std::string Command::Flag(const std::string& flag, const std::string& fallback) const {
  auto it = flags.find(flag);
  return it == flags.end() ? fallback : it->second;
}

std::optional<std::vector<std::string>> SplitWords(std::string_view s) {
  std::vector<std::string> words;
  size_t pos = 0;
  for (;;) {
    SkipSpace(s, &pos);
    if (pos >= s.size()) break;
    std::string w;
    if (!ReadWord(s, &pos, &w)) return std::nullopt;
    words.push_back(std::move(w));
  }
  return words;
}

std::optional<Command> ParseCommand(std::string_view line, std::string* error) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  Command cmd;
  if (line.empty() || line[0] != '/') {
    cmd.text = std::string(line);
    return cmd;
  }
  if (line.size() > 1 && line[1] == '/') {
    cmd.text = std::string(line.substr(1));
    return cmd;
  }
  size_t pos = 1;
  while (pos < line.size() && !IsSpace(line[pos])) ++pos;
  std::string_view name = line.substr(1, pos - 1);
  const CommandSpec* spec = FindCommand(name);
  if (!spec) {
    *error = name.empty() ? "empty command (try /help)"
                          : "unknown command /" + std::string(name) + " (try /help)";
    return std::nullopt;
  }
  cmd.name = spec->name;
  bool options_done = false;
  for (;;) {
    SkipSpace(line, &pos);
    if (pos >= line.size()) break;
    bool text_next = spec->rest_is_text && spec->max_args >= 0 &&
                     static_cast<int>(cmd.args.size()) == spec->max_args - 1;
    if (!options_done && line.compare(pos, 2, "--") == 0) {
      size_t end = pos;
      while (end < line.size() && !IsSpace(line[end])) ++end;
      std::string_view word = line.substr(pos + 2, end - pos - 2);
      if (word.empty()) {
        options_done = true;
        pos = end;
        continue;
      }
      size_t eq = word.find('=');
      const FlagSpec* flag = FindFlag(*spec, word.substr(0, eq));
      if (flag) {
        pos = end;
        std::string value;
        if (flag->takes_value) {
          if (eq != std::string_view::npos) {
            value = std::string(word.substr(eq + 1));
          } else {
            SkipSpace(line, &pos);
            if (pos >= line.size()) {
              return Fail(error, *spec, "--" + std::string(flag->name) + " needs a value");
            }
            if (!ReadWord(line, &pos, &value)) return Fail(error, *spec, "unterminated quote");
          }
        }
        cmd.flags[flag->name] = value;
        continue;
      }
      if (!text_next) {
        return Fail(error, *spec, "unknown option --" + std::string(word.substr(0, eq)));
      }
    }
    if (text_next) {
      cmd.args.push_back(TrimRight(line.substr(pos)));
      break;
    }
    std::string word;
    if (!ReadWord(line, &pos, &word)) return Fail(error, *spec, "unterminated quote");
    cmd.args.push_back(std::move(word));
  }
  int n = static_cast<int>(cmd.args.size());
  if (n < spec->min_args) return Fail(error, *spec, "missing argument");
  if (spec->max_args >= 0 && n > spec->max_args) return Fail(error, *spec, "too many arguments");
  return cmd;
}

std::string Usage(const CommandSpec& spec) {
  std::string flags;
  for (const FlagSpec& f : spec.flags) {
    flags += " [--" + std::string(f.name);
    if (f.takes_value) flags += " " + Metavar(f);
    flags += "]";
  }
  std::string args = *spec.args ? " " + std::string(spec.args) : "";
  // The text runs to the end of the line, so its command's flags come first.
  return "/" + std::string(spec.name) + (spec.rest_is_text ? flags + args : args + flags);
}

std::optional<std::string> HelpText(std::string_view name) {
  while (!name.empty() && name[0] == '/') name.remove_prefix(1);
  if (name.empty()) {
    std::string out =
        "Commands (/help COMMAND for details). Plain lines go to the current conversation;\n"
        "start a line with // to send text that begins with /.\n";
    for (const CommandSpec& c : Commands()) {
      std::string head = "  /" + std::string(c.name);
      if (*c.args) head += " " + std::string(c.args);
      if (head.size() < 34) head.resize(34, ' ');
      out += head + " " + c.summary + "\n";
    }
    return out;
  }
  const CommandSpec* spec = FindCommand(name);
  if (!spec) return std::nullopt;
  std::string out = Usage(*spec) + "\n  " + spec->summary + ".\n";
  if (*spec->details) out += "  " + std::string(spec->details) + "\n";
  for (const FlagSpec& f : spec->flags) {
    std::string head = "  --" + std::string(f.name);
    if (f.takes_value) head += " " + Metavar(f);
    if (head.size() < 24) head.resize(24, ' ');
    out += head + " " + f.help + "\n";
  }
  if (!spec->aliases.empty()) {
    out += "  Also:";
    for (const char* a : spec->aliases) out += " /" + std::string(a);
    out += "\n";
  }
  return out;
}

CompletionRequest WhatToComplete(std::string_view line) {
  CompletionRequest req;
  size_t start = line.size();
  while (start > 0 && !IsSpace(line[start - 1])) --start;
  req.word = std::string(line.substr(start));
  req.word_start = start;
  if (line.empty() || line[0] != '/' || line.compare(0, 2, "//") == 0) {
    if (!req.word.empty() && req.word[0] == '@') req.kind = ArgKind::kUser;
    return req;
  }
  if (start == 0) {  // the command name itself
    req.kind = ArgKind::kCommand;
    return req;
  }
  size_t name_end = 1;
  while (name_end < line.size() && !IsSpace(line[name_end])) ++name_end;
  const CommandSpec* spec = FindCommand(line.substr(1, name_end - 1));
  if (!spec) return req;
  // Count the positionals before the word, skipping flags and their values.
  auto words = SplitWords(line.substr(name_end, start - name_end));
  if (!words) return req;
  int index = 0;
  const FlagSpec* pending = nullptr;
  for (const std::string& w : *words) {
    if (pending) {
      pending = nullptr;
      continue;
    }
    if (w.size() > 2 && w.compare(0, 2, "--") == 0) {
      const FlagSpec* f = FindFlag(*spec, w.substr(2));
      if (f && f->takes_value && w.find('=') == std::string::npos) pending = f;
      continue;
    }
    ++index;
  }
  if (pending) {
    std::string n = pending->name;
    if (n == "conv" || n == "to") req.kind = ArgKind::kConv;
    return req;
  }
  bool in_text = spec->rest_is_text && spec->max_args >= 0 && index >= spec->max_args - 1;
  if (in_text || spec->kinds.empty()) {
    if (!req.word.empty() && req.word[0] == '@') req.kind = ArgKind::kUser;
    return req;
  }
  size_t k = std::min(static_cast<size_t>(index), spec->kinds.size() - 1);
  req.kind = spec->kinds[k];
  return req;
}

std::vector<std::string> MatchPrefix(const std::vector<std::string>& names, std::string_view word) {
  std::vector<std::string> out;
  for (const std::string& n : names) {
    if (n.compare(0, word.size(), word) == 0) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string CommonPrefix(const std::vector<std::string>& words) {
  if (words.empty()) return "";
  std::string prefix = words[0];
  for (const std::string& w : words) {
    size_t n = 0;
    while (n < prefix.size() && n < w.size() && prefix[n] == w[n]) ++n;
    prefix.resize(n);
  }
  return prefix;
}

}  // namespace slchat

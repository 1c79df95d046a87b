#include "repl.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cwchar>

#include "exit_codes.h"

namespace slchat {

namespace {

// Display columns of `s` (UTF-8), skipping \1...\1 sections (invisible prompt escapes).
int VisibleWidth(std::string_view s) {
  int width = 0;
  bool hidden = false;
  std::mbstate_t st = {};
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '\1') {
      hidden = !hidden;
      ++i;
      continue;
    }
    wchar_t wc;
    size_t n = mbrtowc(&wc, s.data() + i, s.size() - i, &st);
    if (n == 0 || n == static_cast<size_t>(-1) || n == static_cast<size_t>(-2)) {
      st = {};
      n = 1;
      wc = L'?';
    }
    if (!hidden) {
      int w = wcwidth(wc);
      width += w < 0 ? 0 : w;
    }
    i += n;
  }
  return width;
}

int Columns() {
  struct winsize ws = {};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

void MakeDirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') mkdir(dir.substr(0, i).c_str(), 0700);
  }
}

// Files whose path starts with `word`, directories with a trailing '/'.
std::vector<std::string> FileCandidates(const std::string& word) {
  size_t slash = word.rfind('/');
  std::string dir = slash == std::string::npos ? "." : word.substr(0, slash + 1);
  std::string prefix = slash == std::string::npos ? "" : dir;
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = prefix + name;
    struct stat st;
    if (stat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) path += "/";
    out.push_back(path);
  }
  closedir(d);
  return out;
}

}  // namespace

Repl::Repl(EventLoop* loop, bool color) : loop_(loop), color_(color) {}

Repl::~Repl() {
  if (hist_) history_end(hist_);
  if (el_) el_end(el_);  // restores the terminal
}

Repl* Repl::From(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return static_cast<Repl*>(data);
}

const char* Repl::PromptFn(EditLine* el) { return From(el)->prompt_.c_str(); }

unsigned char Repl::EnterFn(EditLine* el, int) {
  Repl* r = From(el);
  r->pending_line_ = r->CurrentLine();
  r->has_pending_ = true;
  return CC_NEWLINE;
}

unsigned char Repl::CompleteFn(EditLine* el, int) { return From(el)->Complete(); }

std::string Repl::CurrentLine() const {
  const LineInfo* li = el_line(el_);
  return std::string(li->buffer, static_cast<size_t>(li->lastchar - li->buffer));
}

std::string Repl::HistoryPath() const {
  const char* state = getenv("XDG_STATE_HOME");
  const char* home = getenv("HOME");
  std::string dir;
  if (state && *state) {
    dir = std::string(state) + "/slchat";
  } else if (home && *home) {
    dir = std::string(home) + "/.local/state/slchat";
  } else {
    return "";
  }
  MakeDirs(dir);
  return dir + "/history";
}

std::string Repl::BuildPrompt() const {
  auto esc = [this](const char* code) {
    return color_ ? std::string("\1\033[") + code + "m\1" : std::string();
  };
  std::string p;
  if (chat_ && chat_->collecting()) return esc("2") + "sdp>" + esc("0") + " ";
  if (chat_) {
    std::string transfers = chat_->TransferStatus();
    if (!transfers.empty()) p += esc("33") + "[" + transfers + "]" + esc("0") + " ";
    if (!chat_->session().ready()) p += esc("31") + "[offline]" + esc("0") + " ";
    std::string cur = chat_->current();
    p += esc("36") + (cur.empty() ? std::string("slchat") : ConvLabel(cur, chat_->self())) +
         esc("0");
    std::vector<std::string> typing = chat_->TypingIn(cur);
    if (!typing.empty()) {
      std::string who;
      for (const std::string& u : typing) who += (who.empty() ? "" : ", ") + Sanitize(u, false);
      p += " " + esc("2") + "(" + who + " typing)" + esc("0");
    }
  }
  return p + "> ";
}

void Repl::ClearEditArea(int old_cols) {
  if (!editing_) return;
  const LineInfo* li = el_line(el_);
  std::string before(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
  int width = VisibleWidth(prompt_) + VisibleWidth(before);
  int rows = width / Columns();
  if (old_cols > 0) rows = std::max(rows, width / old_cols);
  std::string seq = "\r";
  if (rows > 0) seq += "\033[" + std::to_string(rows) + "A";
  seq += "\033[J";
  fputs(seq.c_str(), stdout);
}

void Repl::Above(const std::string& text) {
  ClearEditArea();
  fwrite(text.data(), 1, text.size(), stdout);
  fputs("\r\n", stdout);
  fflush(stdout);
  if (editing_) el_set(el_, EL_REFRESH);
}

void Repl::Redraw() {
  std::string p = BuildPrompt();
  if (p == prompt_) return;
  ClearEditArea();
  prompt_ = p;
  fflush(stdout);
  if (editing_) el_set(el_, EL_REFRESH);
}

void Repl::Print(const std::string& text) {
  std::string t;
  for (char c : text) {  // raw mode: a bare \n would not return the carriage
    if (c == '\n') t += '\r';
    t += c;
  }
  Above(t);
}

void Repl::PrintJson(const nlohmann::json& j) { Print(DumpJson(j)); }

void Repl::Notice(const std::string& text) {
  Print(color_ ? "\033[2m-- " + text + "\033[0m" : "-- " + text);
}

void Repl::Error(const std::string& text) {
  Print(color_ ? "\033[31merror: " + text + "\033[0m" : "error: " + text);
}

void Repl::Progress(const std::string&, uint64_t, uint64_t, bool) { Redraw(); }

void Repl::Refresh() { Redraw(); }

void Repl::StartEditing() {
  el_ = el_init("slchat", stdin, stdout, stderr);
  el_set(el_, EL_CLIENTDATA, this);
  el_set(el_, EL_EDITOR, "emacs");
  el_set(el_, EL_SIGNAL, 0);
  el_set(el_, EL_PROMPT_ESC, PromptFn, '\1');
  hist_ = history_init();
  HistEvent ev;
  history(hist_, &ev, H_SETSIZE, 2000);
  history(hist_, &ev, H_SETUNIQUE, 1);
  history_path_ = HistoryPath();
  if (!history_path_.empty()) {
    history(hist_, &ev, H_LOAD, history_path_.c_str());
    // Lines are appended as they are entered; a file grown well past the 2,000 kept is
    // written out again with just those.
    struct stat st;
    if (stat(history_path_.c_str(), &st) == 0 && st.st_size > 1024 * 1024) {
      history(hist_, &ev, H_SAVE, history_path_.c_str());
    }
  }
  el_set(el_, EL_HIST, history, hist_);
  el_source(el_, nullptr);  // ~/.editrc
  el_set(el_, EL_ADDFN, "sl-enter", "Send the line", EnterFn);
  el_set(el_, EL_ADDFN, "sl-complete", "Complete a command, room, user or file", CompleteFn);
  el_set(el_, EL_BIND, "^M", "sl-enter", nullptr);
  el_set(el_, EL_BIND, "^J", "sl-enter", nullptr);
  el_set(el_, EL_BIND, "^I", "sl-complete", nullptr);
  prompt_ = BuildPrompt();
  drawn_cols_ = Columns();
  el_set(el_, EL_UNBUFFERED, 1);  // raw mode; prints the prompt
  editing_ = true;
}

int Repl::Run(Chat* chat) {
  chat_ = chat;
  loop_->OnSignal(SIGINT, [this] { OnInterrupt(); });
  loop_->OnSignal(SIGTERM, [this] { loop_->Quit(kExitTerminated); });
  loop_->OnSignal(SIGHUP, [this] { loop_->Quit(kExitFailure); });
  loop_->OnSignal(SIGWINCH, [this] {
    if (!el_) return;
    // Terminals rewrap the line being typed to the new width: clear it at that width and
    // draw it again, rather than let libedit redraw over where the old width had it.
    ClearEditArea(drawn_cols_);
    drawn_cols_ = Columns();
    fflush(stdout);
    el_resize(el_);
    el_set(el_, EL_REFRESH);
  });
  loop_->OnSignal(SIGCONT, [this] {
    if (!editing_) return;
    el_set(el_, EL_UNBUFFERED, 0);  // back to raw mode after a stop
    el_set(el_, EL_UNBUFFERED, 1);
  });
  Notice("connecting to " + chat->session().url());
  chat->Start(
      [this, chat] {
        Notice("connected as " + chat->self() + "; /help lists the commands");
        Refresh();
      },
      [this](const std::string& error) {
        Error(error);
        loop_->Quit(kExitFailure);
      });
  StartEditing();
  loop_->Watch(STDIN_FILENO, [this] { OnReadable(); });
  int code = loop_->Run();
  chat->Stop();
  ClearEditArea();
  fflush(stdout);
  editing_ = false;
  el_set(el_, EL_UNBUFFERED, 0);
  return code;
}

// Adds the line to the history and appends it to the history file: appending (not writing
// the whole history out) keeps the lines of other slchat sessions running meanwhile.
void Repl::Remember(const std::string& line) {
  HistEvent ev;
  history(hist_, &ev, H_ENTER, line.c_str());
  if (history_path_.empty()) return;
  int fd = open(history_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  FILE* f = fdopen(fd, "a");
  if (!f) {
    close(fd);
    return;
  }
  fseek(f, 0, SEEK_END);  // libedit writes its header when the position is 0
  // A history of this one line, saved in libedit's format (with the file's header when the
  // file is empty). H_NSAVE_FP would do it from hist_, but what its count means differs
  // between libedit versions.
  History* one = history_init();
  history(one, &ev, H_SETSIZE, 1);
  history(one, &ev, H_ENTER, line.c_str());
  history(one, &ev, H_SAVE_FP, f);
  history_end(one);
  fclose(f);
}

void Repl::OnReadable() {
  // Readable with nothing to read: the terminal hung up. (el_gets cannot tell: in
  // unbuffered mode it also returns NULL whenever an edit leaves the line empty.)
  int avail = 0;
  if (ioctl(STDIN_FILENO, FIONREAD, &avail) != 0 || avail <= 0) {
    loop_->Quit(kExitOk);
    return;
  }
  int n = 0;
  const char* s = el_gets(el_, &n);
  if (has_pending_) {
    has_pending_ = false;
    std::string line = std::move(pending_line_);
    ClearEditArea();
    el_set(el_, EL_UNBUFFERED, 0);  // starts a fresh line
    prompt_ = BuildPrompt();
    el_set(el_, EL_UNBUFFERED, 1);
    OnLine(line);
  } else if (s && n == 1 && s[0] == 4) {  // Ctrl-D on an empty line
    loop_->Quit(kExitOk);
    return;
  }
  std::string line = CurrentLine();
  if (line != last_input_) {
    last_input_ = line;
    if (chat_) chat_->OnInputChanged(line);
  }
}

void Repl::OnLine(const std::string& line) {
  last_input_.clear();
  if (chat_->collecting()) {
    Print(color_ ? "\033[2m  | " + Sanitize(line, false) + "\033[0m" : "  | " + line);
    chat_->FeedLine(line);
    Refresh();
    return;
  }
  chat_->OnInputChanged("");
  if (line.find_first_not_of(" \t") == std::string::npos) return;
  std::string error;
  auto cmd = ParseCommand(line, &error);
  if (!cmd || !chat_->HoldsSecret(*cmd)) Remember(line);
  if (!cmd) {
    Error(error);
    return;
  }
  if (cmd->name == "quit") {
    loop_->Quit(kExitOk);
    return;
  }
  chat_->Execute(*cmd, [this](bool) { Refresh(); });
}

void Repl::OnInterrupt() {
  if (!editing_) return;
  const LineInfo* li = el_line(el_);
  if (li->lastchar == li->buffer) {
    Notice("type /quit or press Ctrl-D to leave");
    return;
  }
  ClearEditArea();
  el_cursor(el_, static_cast<int>(li->lastchar - li->cursor));
  el_deletestr(el_, static_cast<int>(li->lastchar - li->buffer));
  el_set(el_, EL_REFRESH);
  last_input_.clear();
  chat_->OnInputChanged("");
}

unsigned char Repl::Complete() {
  const LineInfo* li = el_line(el_);
  std::string before(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
  CompletionRequest req = WhatToComplete(before);
  std::vector<std::string> names;
  std::string word = req.word;
  auto with = [&names](const std::string& prefix, const std::vector<std::string>& list) {
    for (const std::string& n : list) names.push_back(prefix + n);
  };
  switch (req.kind) {
    case ArgKind::kCommand:
      for (const CommandSpec& c : Commands()) names.push_back("/" + std::string(c.name));
      break;
    case ArgKind::kConv:
      with("#", chat_->RoomNames());
      with("@", chat_->UserNames());
      break;
    case ArgKind::kRoom:
      with(!word.empty() && word[0] == '#' ? "#" : "", chat_->RoomNames());
      break;
    case ArgKind::kUser:
      with(!word.empty() && word[0] == '@' ? "@" : "", chat_->UserNames());
      break;
    case ArgKind::kFile:
      names = FileCandidates(word);
      break;
    case ArgKind::kStream:
      names = chat_->StreamNames();
      break;
    case ArgKind::kStatus:
      names = {"online", "away", "busy"};
      break;
    case ArgKind::kLiveAction:
      names = {"start", "end", "join", "leave", "chat", "react"};
      break;
    case ArgKind::kNone:
      break;
  }
  std::vector<std::string> matches = MatchPrefix(names, word);
  if (matches.empty()) return CC_ERROR;
  std::string common = CommonPrefix(matches);
  std::string insert = common.substr(word.size());
  if (matches.size() == 1 && (insert.empty() || insert.back() != '/')) insert += " ";
  if (!insert.empty()) {
    el_insertstr(el_, insert.c_str());
    return CC_REFRESH;
  }
  std::string list;
  for (const std::string& m : matches) list += (list.empty() ? "" : "  ") + m;
  Print(list);
  return CC_REFRESH;
}

}  // namespace slchat

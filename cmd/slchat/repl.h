#pragma once

// The interactive front end: libedit (BSD editline) in unbuffered mode on the main
// EventLoop. Events print above the prompt and the line being typed is redrawn intact;
// history persists in $XDG_STATE_HOME/slchat/history; Tab completes commands, rooms, users
// and files. Main thread only.

#include <histedit.h>

#include <string>

#include "chat.h"
#include "event_loop.h"
#include "ui.h"

namespace slchat {

class Repl : public Ui {
 public:
  Repl(EventLoop* loop, bool color);
  ~Repl() override;

  // Runs the REPL over `chat` until /quit, Ctrl-D or a fatal error; returns the exit code.
  int Run(Chat* chat);

  // Ui
  void Print(const std::string& text) override;
  void PrintJson(const nlohmann::json& j) override;
  void Notice(const std::string& text) override;
  void Error(const std::string& text) override;
  void Progress(const std::string& label, uint64_t done, uint64_t total, bool finished) override;
  void Refresh() override;

 private:
  static const char* PromptFn(EditLine* el);
  static unsigned char EnterFn(EditLine* el, int ch);
  static unsigned char CompleteFn(EditLine* el, int ch);
  static Repl* From(EditLine* el);

  void StartEditing();
  void OnReadable();
  void OnLine(const std::string& line);
  void Remember(const std::string& line);
  void OnInterrupt();
  unsigned char Complete();
  std::string BuildPrompt() const;
  std::string CurrentLine() const;
  // Erases the prompt and the typed line (all their rows) and leaves the cursor at column 0.
  // Moves to the start of the prompt and clears to the end of the screen. `old_cols`, after
  // a resize: the width the line was drawn at, which may still hold it.
  void ClearEditArea(int old_cols = 0);
  void Above(const std::string& text);
  void Redraw();
  std::string HistoryPath() const;

  EventLoop* loop_;
  bool color_;
  Chat* chat_ = nullptr;
  EditLine* el_ = nullptr;
  History* hist_ = nullptr;
  std::string history_path_;
  bool editing_ = false;  // libedit owns the terminal line
  int drawn_cols_ = 0;    // the width libedit last drew at (for a resize)
  std::string prompt_;
  std::string pending_line_;
  bool has_pending_ = false;
  std::string last_input_;
};

}  // namespace slchat

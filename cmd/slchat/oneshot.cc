// One-shot subcommands for shell scripts: send, tail, history, upload, download, wait-for.
// They print only their result: text lines, or JSON objects with --json.

#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <sstream>

#include "exit_codes.h"
#include "modes.h"
#include "smartlink/util/crypto.h"

namespace slchat {

namespace {

class OneShot {
 public:
  OneShot(const Setup& setup, EventLoop* loop, Chat* chat, Ui* ui)
      : s_(setup), o_(setup.options), loop_(loop), chat_(chat), ui_(ui) {}

  void Begin() {
    const std::string& c = o_.command;
    if (c == "send") return Send();
    if (c == "tail") return Tail();
    if (c == "history") return History();
    if (c == "upload") return Upload();
    if (c == "download") return Download();
    if (c == "wait-for") return WaitFor();
  }

 private:
  void Exit(int code) { loop_->Quit(code); }
  void Fail(const std::string& error) {
    ui_->Error(error);
    Exit(kExitFailure);
  }
  bool Failed(const Json& reply) {
    if (reply.value("type", "") != "error") return false;
    Fail(reply.value("code", "") + ": " + reply.value("message", ""));
    return true;
  }
  // A conversation argument; fails when it is neither #ROOM nor @USER.
  std::string Conv(const std::string& arg) {
    if (arg.empty() || (arg[0] != '#' && arg[0] != '@')) {
      Fail("'" + arg + "' is not a conversation: write #ROOM or @USER");
      return "";
    }
    return chat_->ConvOf(arg);
  }
  void PrintMessage(Json m) {
    if (!m.contains("type")) m["type"] = "msg";
    if (o_.json) {
      ui_->PrintJson(m);
    } else {
      ui_->Print(RenderMessage(m, chat_->Context(s_.color)));
    }
  }

  void Send() {
    std::string conv = Conv(o_.target);
    if (conv.empty()) return;
    std::string text = o_.text;
    if (text.empty() || text == "-") {
      std::ostringstream in;
      in << std::cin.rdbuf();
      text = in.str();
      if (!text.empty() && text.back() == '\n') text.pop_back();
    }
    auto sealed = chat_->SealText(conv, text);
    if (!sealed) return Exit(kExitFailure);
    chat_->session().Request({{"type", "msg.send"},
                              {"to", o_.target},
                              {"text", *sealed},
                              {"temp_id", smartlink::crypto::RandomHex(8)}},
                             [this](const Json& r) {
                               if (Failed(r)) return;
                               if (o_.json) ui_->PrintJson(r);
                               Exit(kExitOk);
                             });
  }

  void History() {
    std::string conv = Conv(o_.conv);
    if (conv.empty()) return;
    Json req = {{"type", "history"}, {"conv", conv}, {"limit", o_.limit}};
    if (o_.before > 0) req["before"] = o_.before;
    if (o_.after >= 0) req["after"] = o_.after;
    chat_->session().Request(req, [this](const Json& r) {
      if (Failed(r)) return;
      for (const Json& m : r.value("messages", Json::array())) PrintMessage(m);
      Exit(kExitOk);
    });
  }

  // Prints the backlog (the latest -n, or everything after --since), then with --follow
  // every new message, in seq order and without repeats (also across reconnects).
  void Tail() {
    conv_ = Conv(o_.conv);
    if (conv_.empty()) return;
    chat_->Watch([this](const Json& ev, const std::string&) {
      std::string type = ev.value("type", "");
      if (ev.value("conv", "") != conv_) return false;
      if (type == "caught_up" && backlog_from_sync_ && !backlog_done_) {
        EndBacklog();
      } else if (type == "msg") {
        if (backlog_done_) {
          Emit(ev);
        } else {
          held_.push_back(ev);
        }
      }
      return false;
    });
    if (o_.since >= 0) {
      backlog_from_sync_ = true;
      chat_->Replay(conv_, o_.since, [this](const Json& r) {
        if (Failed(r)) return;
        if (!r.value("forbidden", Json::array()).empty()) {
          Fail("forbidden: not a member of " + conv_);
        }
      });
      return;
    }
    if (o_.lines == 0) return EndBacklog();
    chat_->session().Request({{"type", "history"}, {"conv", conv_}, {"limit", o_.lines}},
                             [this](const Json& r) {
                               if (Failed(r)) return;
                               for (const Json& m : r.value("messages", Json::array())) Emit(m);
                               EndBacklog();
                             });
  }
  void EndBacklog() {
    backlog_done_ = true;
    auto held = std::move(held_);
    held_.clear();
    for (const Json& m : held) Emit(m);
    if (!o_.follow) Exit(kExitOk);
  }
  void Emit(const Json& m) {
    int64_t seq = m.value("seq", int64_t{0});
    if (seq <= last_seq_) return;
    last_seq_ = seq;
    PrintMessage(m);
  }

  void Upload() {
    chat_->transfers().Upload(o_.file, o_.target, [this](bool ok, const Json& r) {
      if (!ok) return Fail(r.value("message", "upload failed"));
      if (o_.json) {
        ui_->PrintJson(r);
      } else {
        ui_->Print(r.value("file_id", ""));
      }
      Exit(kExitOk);
    });
  }

  void Download() {
    chat_->transfers().Download(o_.file_id, o_.path, [this](bool ok, const Json& r) {
      if (!ok) return Fail(r.value("message", "download failed"));
      if (o_.json) {
        ui_->PrintJson(r);
      } else if (r.value("path", "") != "-") {
        ui_->Print(r.value("path", ""));
      }
      Exit(kExitOk);
    });
  }

  void WaitFor() {
    std::shared_ptr<std::regex> re;
    try {
      re = std::make_shared<std::regex>(o_.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      ui_->Error("bad pattern: " + std::string(e.what()));
      return Exit(kExitUsage);
    }
    if (!o_.conv.empty()) {
      conv_ = Conv(o_.conv);
      if (conv_.empty()) return;
    }
    chat_->Watch([this, re](const Json& ev, const std::string& line) {
      if (!conv_.empty() && ev.value("conv", "") != conv_) return false;
      if (line.empty() || !std::regex_search(line, *re)) return false;
      if (o_.json) {
        ui_->PrintJson(ev);
      } else {
        ui_->Print(s_.color ? RenderEvent(ev, chat_->Context(true)) : line);
      }
      Exit(kExitOk);
      return true;
    });
    if (o_.timeout > 0) {
      loop_->After(static_cast<int64_t>(o_.timeout * 1000),
                   [this] { Fail("timed out waiting for " + o_.pattern); });
    }
    if (o_.since >= 0 && !conv_.empty()) {
      chat_->Replay(conv_, o_.since, [this](const Json& r) {
        if (Failed(r)) return;
        if (!r.value("forbidden", Json::array()).empty()) {
          Fail("forbidden: not a member of " + conv_);
        }
      });
    }
  }

  const Setup& s_;
  const Options& o_;
  EventLoop* loop_;
  Chat* chat_;
  Ui* ui_;
  std::string conv_;
  bool backlog_from_sync_ = false;
  bool backlog_done_ = false;
  std::vector<Json> held_;
  int64_t last_seq_ = 0;
};

}  // namespace

int RunOneShot(const Setup& setup) {
  const Options& o = setup.options;
  EventLoop loop;
  bool transfer = o.command == "upload" || o.command == "download";
  StdUi ui(/*progress=*/transfer && isatty(STDERR_FILENO));
  ChatOptions co;
  co.json = o.json;
  co.color = setup.color;
  co.print = false;
  co.lines_on_stdin = false;
  co.passphrases = setup.passphrases;
  SessionOptions so = setup.session;
  // A transfer cut by a dropped connection resumes where it stopped, as /send and /get do.
  so.reconnect = (o.command == "tail" && o.follow) || o.command == "wait-for" || transfer;
  Chat chat(&loop, so, co, &ui);
  OneShot shot(setup, &loop, &chat, &ui);
  loop.OnSignal(SIGINT, [&loop] { loop.Quit(kExitInterrupted); });
  loop.OnSignal(SIGTERM, [&loop] { loop.Quit(kExitTerminated); });
  chat.Start([&shot] { shot.Begin(); },
             [&ui, &loop](const std::string& error) {
               ui.Error(error);
               loop.Quit(kExitFailure);
             });
  int code = loop.Run();
  chat.Stop();
  return code;
}

}  // namespace slchat

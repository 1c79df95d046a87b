// Chat: connection life cycle, incoming events, catch-up, e2e decryption and typing.

#include "chat.h"

#include <chrono>

#include "e2e.h"
#include "smartlink/protocol/names.h"

namespace slchat {

namespace {

constexpr int64_t kTypingRefreshMs = 3000;  // the server relays a refresh every 3 s
constexpr int64_t kTypingIdleMs = 4000;     // stop typing after this long without a key
constexpr int64_t kTypingShownMs = 6000;    // forget a typist the server did not stop

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RoomOf(const std::string& conv) {
  return conv.size() > 1 && conv[0] == '#' ? conv.substr(1) : "";
}

}  // namespace

Chat::Chat(EventLoop* loop, SessionOptions session, ChatOptions options, Ui* ui)
    : loop_(loop),
      options_(std::move(options)),
      ui_(ui),
      session_(loop, std::move(session),
               Session::Handlers{
                   [this](const Json& w, bool again) { OnReady(w, again); },
                   [this](Json& f, bool quiet) { OnFrame(f, quiet); },
                   [this](const Json& h, std::string d) { transfers_->OnBinary(h, std::move(d)); },
                   [this](int code, const std::string& reason, int64_t retry) {
                     OnDown(code, reason, retry);
                   },
                   [this](const std::string& error) {
                     if (on_fatal_) on_fatal_(error);
                   },
                   [this](const std::string& what) {
                     ui_->Notice("ignored a malformed frame from the server (" + what + ")");
                   }}),
      transfers_(std::make_unique<Transfers>(loop, &session_, ui)) {}

Chat::~Chat() {
  loop_->Cancel(typing_timer_);
  loop_->Cancel(typing_idle_timer_);
  for (auto& [conv, t] : read_timers_) loop_->Cancel(t);
}

void Chat::Start(std::function<void()> on_ready, std::function<void(const std::string&)> on_fatal) {
  on_ready_ = std::move(on_ready);
  on_fatal_ = std::move(on_fatal);
  for (const auto& [room, pass] : options_.passphrases) SetPassphrase(room, pass);
  session_.Start();
}

RenderContext Chat::Context(bool color) const {
  return RenderContext{color, session_.user(), WallMs()};
}

void Chat::OnReady(const Json& welcome, bool again) {
  bool print_json = options_.json && options_.print;
  if (print_json) ui_->PrintJson(welcome);
  if (!again) {
    // Learn the rooms (which are e2e) and where every conversation stands, then go.
    session_.Internal({{"type", "convs"}}, [this](const Json& r) {
      for (const Json& c : r.value("convs", Json::array())) {
        seq_.SetPosition(c.value("conv", ""), c.value("last_seq", int64_t{0}));
      }
      RefreshRooms([this] {
        if (on_ready_) on_ready_();
      });
    });
    return;
  }
  ui_->Notice("reconnected to " + session_.url() + "; catching up");
  if (print_json) ui_->PrintJson({{"type", "slchat.reconnected"}});
  CatchUp();
  transfers_->OnReconnect();
  ui_->Refresh();
}

// Asks what changed while we were away and replays it: `convs` names every conversation
// (new ones too), `sync` sends each one's missed messages then `caught_up`.
void Chat::CatchUp() {
  catching_up_ = true;
  catch_up_.clear();
  missed_ = 0;
  session_.Internal({{"type", "convs"}}, [this](const Json& r) {
    Json positions = Json::object();
    for (const Json& c : r.value("convs", Json::array())) {
      std::string conv = c.value("conv", "");
      if (c.value("last_seq", int64_t{0}) <= seq_.position(conv)) continue;
      catch_up_.insert(conv);
      if (syncing_.insert(conv).second) positions[conv] = seq_.position(conv);
    }
    if (!positions.empty()) {
      session_.Internal({{"type", "sync"}, {"positions", positions}},
                        [this, positions](const Json& ok) {
                          bool failed = ok.value("type", "") != "ok";
                          if (failed) ui_->Error("catching up failed: " + ok.value("message", ""));
                          for (const auto& [conv, pos] : positions.items()) {
                            if (failed) CaughtUp(conv);
                          }
                          for (const Json& conv : ok.value("forbidden", Json::array())) {
                            CaughtUp(conv.get<std::string>());
                          }
                        });
    }
    MaybeDoneCatchingUp();
  });
}

void Chat::CaughtUp(const std::string& conv) {
  syncing_.erase(conv);
  catch_up_.erase(conv);
  MaybeDoneCatchingUp();
}

void Chat::MaybeDoneCatchingUp() {
  if (!catching_up_ || !catch_up_.empty()) return;
  catching_up_ = false;
  ui_->Notice(missed_ == 0 ? std::string("caught up: nothing missed")
                           : "caught up: " + std::to_string(missed_) + " new message" +
                                 (missed_ == 1 ? "" : "s") + " since the reconnect");
}

void Chat::OnDown(int code, const std::string& reason, int64_t retry_ms) {
  char delay[32];
  snprintf(delay, sizeof delay, "%.1f s", static_cast<double>(retry_ms) / 1000);
  ui_->Notice("connection lost (" + std::to_string(code) + (reason.empty() ? "" : " " + reason) +
              "); reconnecting in " + delay);
  if (options_.json && options_.print) {
    ui_->PrintJson({{"type", "slchat.disconnected"},
                    {"code", code},
                    {"reason", reason},
                    {"retry_ms", retry_ms}});
  }
  typing_.clear();
  ui_->Refresh();
}

void Chat::RefreshRooms(std::function<void()> then) {
  session_.Internal({{"type", "room.list"}}, [this, then](const Json& r) {
    for (const Json& room : r.value("rooms", Json::array())) {
      RoomInfo& info = rooms_[room.value("room", "")];
      info.joined = room.value("joined", false);
      info.e2e = room.value("e2e", false);
    }
    if (then) then();
  });
}

bool Chat::SetPassphrase(const std::string& room_or_conv, const std::string& passphrase) {
  std::string room = room_or_conv;
  if (!room.empty() && room[0] == '#') room = room.substr(1);
  std::string key = DeriveRoomKey(passphrase, room);
  if (key.empty()) return false;
  keys_[room] = key;
  return true;
}

std::optional<std::string> Chat::SealText(const std::string& conv, const std::string& text) {
  std::string room = RoomOf(conv);
  if (room.empty()) return text;
  auto key = keys_.find(room);
  if (key != keys_.end()) {
    std::string sealed = EncryptText(key->second, conv, text);
    if (sealed.empty()) {
      ui_->Error("encryption failed");
      return std::nullopt;
    }
    return sealed;
  }
  auto info = rooms_.find(room);
  if (info != rooms_.end() && info->second.e2e) {
    ui_->Error(conv + " is end-to-end encrypted and slchat has no passphrase for it: /key " + room +
               " PASSPHRASE (or --key " + room + "=PASSPHRASE)");
    return std::nullopt;
  }
  return text;
}

void Chat::OpenMessage(Json& msg) {
  auto text = msg.find("text");
  if (text == msg.end() || !text->is_string() || !IsEncrypted(text->get<std::string>())) return;
  std::string conv = msg.value("conv", "");
  // Text that cannot be opened is never passed on as its ciphertext (a script reading
  // .text would take it for the message): it is emptied, and e2e_error says why.
  auto key = keys_.find(RoomOf(conv));
  if (key == keys_.end()) {
    msg["e2e_error"] = "no passphrase; /key " + RoomOf(conv) + " PASSPHRASE";
    *text = "";
    return;
  }
  auto plain = DecryptText(key->second, conv, text->get<std::string>());
  if (!plain) {
    msg["e2e_error"] = "cannot decrypt (wrong passphrase or altered)";
    *text = "";
    return;
  }
  *text = *plain;
  msg["e2e"] = true;
}

void Chat::OpenFrame(Json& frame) {
  std::string type = frame.value("type", "");
  if (type == "msg" || type == "msg.edited") OpenMessage(frame);
  auto open_all = [this, &frame](const char* key) {
    auto it = frame.find(key);
    if (it == frame.end() || !it->is_array()) return;
    for (Json& m : *it) {
      if (m.is_object()) OpenMessage(m);
    }
  };
  open_all("messages");
  auto convs = frame.find("convs");
  if (convs != frame.end() && convs->is_array()) {
    for (Json& c : *convs) {
      if (c.is_object() && c.contains("last") && c["last"].is_object()) OpenMessage(c["last"]);
    }
  }
}

void Chat::OnFrame(Json& frame, bool quiet) {
  OpenFrame(frame);
  std::string type = frame.value("type", "");
  std::string conv = frame.value("conv", "");
  if (type == "msg" && !frame.contains("re")) {
    bool gap = false;
    auto ready = seq_.Add(conv, frame.value("seq", int64_t{0}), frame, &gap);
    if (gap) SyncConv(conv);
    for (Json& ev : ready) Deliver(ev, quiet);
    return;
  }
  if (type == "caught_up") {
    for (Json& ev : seq_.CaughtUp(conv, frame.value("last_seq", int64_t{0}))) Deliver(ev, false);
    Deliver(frame, quiet);
    CaughtUp(conv);
    return;
  }
  Deliver(frame, quiet);
}

// Asks for the messages missing before a held one.
void Chat::SyncConv(const std::string& conv) {
  if (!syncing_.insert(conv).second) return;
  session_.Internal(
      {{"type", "sync"}, {"positions", {{conv, seq_.position(conv)}}}},
      [this, conv](const Json& r) {
        if (r.value("type", "") != "ok" || !r.value("forbidden", Json::array()).empty()) {
          syncing_.erase(conv);
        }
      });
}

void Chat::Replay(const std::string& conv, int64_t since, std::function<void(const Json&)> done) {
  seq_.Reset(conv, since);
  syncing_.insert(conv);
  session_.Request(
      {{"type", "sync"}, {"positions", {{conv, since}}}}, [this, conv, done](const Json& r) {
        if (r.value("type", "") != "ok" || !r.value("forbidden", Json::array()).empty()) {
          syncing_.erase(conv);
        }
        if (done) done(r);
      });
}

void Chat::Deliver(Json& frame, bool quiet) {
  if (options_.json && options_.print && !quiet) ui_->PrintJson(frame);
  NoteEvent(frame);
  if (frame.contains("re")) return;  // replies belong to their commands
  Show(frame);
}

void Chat::Show(const Json& ev) {
  std::string type = ev.value("type", "");
  std::string plain = RenderEvent(ev, Context(false));
  if (type == "error") {
    ui_->Error(ev.value("code", "") + ": " + ev.value("message", ""));
  } else if (!options_.json && options_.print && !plain.empty()) {
    ui_->Print(options_.color ? RenderEvent(ev, Context(true)) : plain);
  }
  std::string match_line = options_.json ? DumpJson(ev) : plain;
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    uint64_t id = it->first;
    auto fn = it->second;
    ++it;
    if (fn(ev, match_line)) watchers_.erase(id);
  }
}

void Chat::NoteEvent(const Json& ev) {
  std::string type = ev.value("type", "");
  std::string conv = ev.value("conv", "");
  if (type == "msg") {
    std::string from = ev.value("from", "");
    users_.insert(from);
    auto t = typing_.find(conv);
    if (t != typing_.end() && t->second.erase(from)) ui_->Refresh();
    if (catching_up_) ++missed_;
    if (options_.interactive && conv == current_ && from != session_.user()) ScheduleRead(conv);
  } else if (type == "member.joined" || type == "member.left" || type == "presence") {
    users_.insert(ev.value("user", ""));
  } else if (type == "typing") {
    std::string user = ev.value("user", "");
    users_.insert(user);
    if (ev.value("on", false)) {
      typing_[conv][user] = EventLoop::NowMs() + kTypingShownMs;
      if (!typing_timer_) {
        typing_timer_ = loop_->After(kTypingShownMs, [this] {
          typing_timer_ = 0;
          int64_t now = EventLoop::NowMs();
          for (auto& [c, users] : typing_) {
            for (auto it = users.begin(); it != users.end();) {
              it = it->second <= now ? users.erase(it) : std::next(it);
            }
          }
          ui_->Refresh();
        });
      }
    } else {
      typing_[conv].erase(user);
    }
    ui_->Refresh();
  } else if (type == "signal") {
    NoteSignal(ev);
  } else if (type == "file.data") {
    transfers_->OnFileData(ev);
  } else if (type == "live.status") {
    streams_.insert(ev.value("stream", ""));
  }
}

void Chat::ScheduleRead(const std::string& conv) {
  if (read_timers_.count(conv)) return;
  read_timers_[conv] = loop_->After(500, [this, conv] {
    read_timers_.erase(conv);
    int64_t seq = seq_.position(conv);
    if (seq <= 0 || read_sent_[conv] >= seq) return;
    read_sent_[conv] = seq;
    session_.Send({{"type", "msg.read"}, {"conv", conv}, {"seq", seq}});
  });
}

std::vector<std::string> Chat::TypingIn(const std::string& conv) const {
  std::vector<std::string> out;
  auto it = typing_.find(conv);
  if (it == typing_.end()) return out;
  for (const auto& [user, until] : it->second) {
    if (user != session_.user()) out.push_back(user);
  }
  return out;
}

void Chat::OnInputChanged(const std::string& line) {
  bool typing = !line.empty() && line[0] != '/' && !current_.empty() && !collecting();
  int64_t now = EventLoop::NowMs();
  auto send = [this](const std::string& conv, bool on) {
    session_.Send({{"type", "typing"}, {"to", TargetOf(conv)}, {"on", on}});
  };
  if (!typing) {
    if (!typing_conv_.empty()) send(typing_conv_, false);
    typing_conv_.clear();
    loop_->Cancel(typing_idle_timer_);
    typing_idle_timer_ = 0;
    return;
  }
  if (typing_conv_ != current_ || now - typing_sent_ms_ >= kTypingRefreshMs) {
    if (!typing_conv_.empty() && typing_conv_ != current_) send(typing_conv_, false);
    typing_conv_ = current_;
    typing_sent_ms_ = now;
    send(current_, true);
  }
  loop_->Cancel(typing_idle_timer_);
  typing_idle_timer_ = loop_->After(kTypingIdleMs, [this, send] {
    typing_idle_timer_ = 0;
    if (!typing_conv_.empty()) send(typing_conv_, false);
    typing_conv_.clear();
  });
}

uint64_t Chat::Watch(std::function<bool(const Json&, const std::string&)> match) {
  uint64_t id = ++next_watcher_;
  watchers_[id] = std::move(match);
  return id;
}

void Chat::Unwatch(uint64_t id) { watchers_.erase(id); }

std::vector<std::string> Chat::RoomNames() const {
  std::vector<std::string> out;
  for (const auto& [name, info] : rooms_) out.push_back(name);
  return out;
}

std::vector<std::string> Chat::UserNames() const {
  return std::vector<std::string>(users_.begin(), users_.end());
}

std::vector<std::string> Chat::StreamNames() const {
  return std::vector<std::string>(streams_.begin(), streams_.end());
}

std::string Chat::ConvOf(const std::string& target) const {
  if (target.empty()) return "";
  if (target[0] == '@') {
    std::string rest = target.substr(1);
    if (rest.find(',') != std::string::npos) return target;
    return smartlink::protocol::DirectConvId(session_.user(), rest);
  }
  if (target[0] == '#') return target;
  return "#" + target;
}

std::string Chat::TargetOf(const std::string& conv) const {
  if (conv.size() > 1 && conv[0] == '@') {
    auto c = smartlink::protocol::ParseConv(conv);
    if (c) return "@" + c->Peer(session_.user());
  }
  return conv;
}

bool Chat::FeedLine(const std::string& line) {
  if (!heredoc_) return false;
  if (line == ".") {
    auto fn = std::move(heredoc_);
    heredoc_ = nullptr;
    fn(heredoc_text_);
    heredoc_text_.clear();
    ui_->Refresh();
    return true;
  }
  heredoc_text_ += line + "\n";
  return true;
}

bool Chat::HoldsSecret(const Command& cmd) const {
  if (cmd.name == "key") return true;
  if (cmd.name == "create") return cmd.Has("e2e") || cmd.Has("password");
  if (cmd.name == "join") return cmd.Has("e2e") || cmd.args.size() > 1;
  auto e2e_room = [this](const std::string& conv) {
    if (conv.empty() || conv[0] != '#') return false;
    auto info = rooms_.find(conv.substr(1));
    return info != rooms_.end() && info->second.e2e;
  };
  if (cmd.is_text() || cmd.name == "edit") return e2e_room(current_);
  if (cmd.name == "msg") return e2e_room(cmd.Arg(0));
  return false;
}

}  // namespace slchat

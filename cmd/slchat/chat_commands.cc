// Chat: the command dispatcher, rooms and messages.

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "chat.h"
#include "e2e.h"
#include "smartlink/util/crypto.h"

namespace slchat {

namespace {

bool IsJoinKey(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string StripHash(const std::string& s) { return !s.empty() && s[0] == '#' ? s.substr(1) : s; }

// A non-negative integer argument; nullopt when it is not one.
std::optional<int64_t> ParseInt(const std::string& s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

void Chat::Execute(const Command& c, Done done) {
  const std::string& n = c.name;
  if (c.is_text()) {
    if (c.text.empty()) return done(true);
    if (current_.empty()) {
      ui_->Error("no current conversation: /join a room or /switch to one");
      return done(false);
    }
    return SendText(TargetOf(current_), c.text, "", std::move(done));
  }
  if (n == "help") {
    auto text = HelpText(c.Arg(0));
    if (!text) {
      ui_->Error("no command /" + c.Arg(0) + " (try /help)");
      return done(false);
    }
    std::string t = *text;
    if (!t.empty() && t.back() == '\n') t.pop_back();
    if (options_.json) {
      ui_->PrintJson({{"type", "slchat.help"}, {"text", t}});  // every stdout line is JSON
    } else {
      ui_->Print(t);
    }
    return done(true);
  }
  if (n == "create") return CmdCreate(c, std::move(done));
  if (n == "join") return CmdJoin(c, std::move(done));
  if (n == "leave") return CmdLeave(c, std::move(done));
  if (n == "rooms") return CmdRooms(std::move(done));
  if (n == "who") return CmdWho(c, std::move(done));
  if (n == "convs") return CmdConvs(std::move(done));
  if (n == "switch") return CmdSwitch(c, std::move(done));
  if (n == "msg") return SendText(c.Arg(0), c.Arg(1), c.Flag("reply"), std::move(done));
  if (n == "history") return CmdHistory(c, std::move(done));
  if (n == "search") return CmdSearch(c, std::move(done));
  if (n == "edit" || n == "delete" || n == "react" || n == "read") {
    return CmdMessageOp(c, std::move(done));
  }
  if (n == "status") return CmdStatus(c, std::move(done));
  if (n == "presence") return CmdPresence(c, std::move(done));
  if (n == "key") {
    if (!SetPassphrase(c.Arg(0), c.Arg(1))) {
      ui_->Error("cannot derive a key");
      return done(false);
    }
    if (!options_.json) ui_->Print("passphrase set for #" + StripHash(c.Arg(0)));
    return done(true);
  }
  if (n == "send") return CmdSend(c, std::move(done));
  if (n == "get") return CmdGet(c, std::move(done));
  if (n == "call") return CmdCall(c, std::move(done));
  if (n == "answer") return CmdAnswer(c, std::move(done));
  if (n == "ice") return CmdIce(c, std::move(done));
  if (n == "hangup") return CmdHangup(c, std::move(done));
  if (n == "live") return CmdLive(c, std::move(done));
  if (n == "wait") return CmdWait(c, std::move(done));
  if (n == "raw") return CmdRaw(c, std::move(done));
  return CmdSocial(c, std::move(done));
}

void Chat::Req(Json req, std::function<void(const Json& ok)> on_ok, Done done, bool retry) {
  std::string type = req.value("type", "");
  session_.Request(
      std::move(req),
      [this, type, on_ok = std::move(on_ok), done = std::move(done)](const Json& r) {
        if (r.value("type", "") == "error") {
          ui_->Error(type + ": " + r.value("code", "") + ": " + r.value("message", ""));
          if (done) done(false);
          return;
        }
        if (on_ok) on_ok(r);
        if (done) done(true);
      },
      retry);
}

void Chat::SendText(const std::string& target, const std::string& text, const std::string& reply_to,
                    Done done) {
  std::string conv = ConvOf(target);
  if (conv.empty() || (target[0] != '#' && target[0] != '@')) {
    ui_->Error("send to #ROOM or @USER, not '" + target + "'");
    return done(false);
  }
  auto sealed = SealText(conv, text);
  if (!sealed) return done(false);
  Json req = {{"type", "msg.send"},
              {"to", target},
              {"text", *sealed},
              {"temp_id", smartlink::crypto::RandomHex(8)}};
  if (!reply_to.empty()) {
    auto seq = ParseInt(reply_to);
    if (!seq) {
      ui_->Error("--reply takes a seq number");
      return done(false);
    }
    req["reply_to"] = *seq;
  }
  // Said once per line typed while offline: otherwise it seems to vanish until the reconnect.
  if (options_.interactive && !session_.ready()) {
    ui_->Notice("offline: the message is queued and goes out once reconnected");
  }
  Req(std::move(req), nullptr, std::move(done), /*retry=*/true);
}

void Chat::CmdCreate(const Command& c, Done done) {
  std::string room = StripHash(c.Arg(0));
  Json req = {{"type", "room.create"}, {"room", room}};
  if (c.Has("password")) req["password"] = c.Flag("password");
  if (c.Has("private")) req["private"] = true;
  if (c.Has("e2e")) req["e2e"] = true;
  if (c.Has("title")) req["title"] = c.Flag("title");
  if (c.Has("topic")) req["topic"] = c.Flag("topic");
  Req(
      std::move(req),
      [this, room, c](const Json& r) {
        RoomInfo& info = rooms_[room];
        info.joined = true;
        info.e2e = c.Has("e2e");
        if (c.Has("e2e")) SetPassphrase(room, c.Flag("e2e"));
        current_ = "#" + room;
        if (!options_.json) {
          ui_->Print("created #" + room + (info.e2e ? " (end-to-end encrypted)" : "") +
                     "; join key " + r.value("join_key", ""));
        }
        ui_->Refresh();
      },
      std::move(done));
}

void Chat::CmdJoin(const Command& c, Done done) {
  std::string arg = c.Arg(0);
  Json req = {{"type", "room.join"}};
  if (IsJoinKey(arg)) {
    req["join_key"] = arg;
  } else {
    req["room"] = StripHash(arg);
  }
  if (c.args.size() > 1) req["password"] = c.Arg(1);
  if (c.Has("since")) {
    auto since = ParseInt(c.Flag("since"));
    if (!since) {
      ui_->Error("--since takes a seq number");
      return done(false);
    }
    req["since"] = *since;
    if (req.contains("room")) seq_.Reset("#" + req["room"].get<std::string>(), *since);
  }
  session_.Request(req, [this, c, done](const Json& r) {
    if (r.value("type", "") == "error") {
      ui_->Error("room.join: " + r.value("code", "") + ": " + r.value("message", ""));
      return done(false);
    }
    std::string room = r.value("room", "");
    std::string conv = "#" + room;
    rooms_[room].joined = true;
    if (c.Has("e2e")) SetPassphrase(room, c.Flag("e2e"));
    current_ = conv;
    std::vector<std::string> members;
    for (const Json& m : r.value("members", Json::array())) {
      if (m.is_string()) members.push_back(m.get<std::string>());
      if (m.is_object()) members.push_back(m.value("user", ""));
    }
    users_.insert(members.begin(), members.end());
    int64_t last = r.value("last_seq", int64_t{0});
    if (!c.Has("since")) seq_.SetPosition(conv, last);
    if (!options_.json) {
      std::string list;
      for (const std::string& m : members) list += (list.empty() ? "" : ", ") + m;
      ui_->Print("joined " + conv + ": " + std::to_string(members.size()) + " member" +
                 (members.size() == 1 ? "" : "s") + " (" + list + ")");
    }
    ui_->Refresh();
    // Learn whether it is e2e before anything is sent to it.
    RefreshRooms([this, room, conv, done] {
      if (rooms_[room].e2e && !keys_.count(room)) {
        ui_->Notice(conv + " is end-to-end encrypted: /key " + room +
                    " PASSPHRASE to read and write it");
      }
      if (options_.interactive) return ShowRecent(conv, 10, done);
      done(true);
    });
  });
}

void Chat::CmdLeave(const Command& c, Done done) {
  std::string room = StripHash(c.Arg(0, current_));
  if (room.empty() || room[0] == '@') {
    ui_->Error("/leave: name a room");
    return done(false);
  }
  Req(
      {{"type", "room.leave"}, {"room", room}},
      [this, room](const Json&) {
        rooms_[room].joined = false;
        if (current_ == "#" + room) current_.clear();
        if (!options_.json) ui_->Print("left #" + room);
        ui_->Refresh();
      },
      std::move(done));
}

void Chat::CmdRooms(Done done) {
  Req(
      {{"type", "room.list"}},
      [this](const Json& r) {
        std::string out;
        for (const Json& room : r.value("rooms", Json::array())) {
          std::string name = room.value("room", "");
          RoomInfo& info = rooms_[name];
          info.joined = room.value("joined", false);
          info.e2e = room.value("e2e", false);
          std::string line = "#" + name + "  " + std::to_string(room.value("members", 0)) +
                             " member" + (room.value("members", 0) == 1 ? "" : "s");
          if (info.joined) line += ", joined";
          if (room.value("private", false)) line += ", private";
          if (room.value("password", false)) line += ", password";
          if (info.e2e) line += ", e2e";
          std::string title = room.value("title", ""), topic = room.value("topic", "");
          if (!title.empty()) line += "  " + title;
          if (!topic.empty()) line += " - " + topic;
          out += (out.empty() ? "" : "\n") + Sanitize(line, false);
        }
        if (!options_.json) ui_->Print(out.empty() ? "no rooms" : out);
      },
      std::move(done));
}

void Chat::CmdWho(const Command& c, Done done) {
  std::string room = StripHash(c.Arg(0, current_));
  if (room.empty() || room[0] == '@') {
    ui_->Error("/who: name a room");
    return done(false);
  }
  Req(
      {{"type", "room.members"}, {"room", room}},
      [this, room](const Json& r) {
        std::string list;
        for (const Json& m : r.value("members", Json::array())) {
          std::string user = m.value("user", "");
          users_.insert(user);
          std::string role = m.value("role", "");
          list += (list.empty() ? "" : ", ") + user + " (" + (role == "owner" ? "owner, " : "") +
                  (m.value("online", false) ? "online" : "offline") + ")";
        }
        if (!options_.json) ui_->Print(Sanitize("#" + room + ": " + list, false));
      },
      std::move(done));
}

void Chat::CmdConvs(Done done) {
  Req(
      {{"type", "convs"}},
      [this](const Json& r) {
        std::string out;
        RenderContext ctx = Context(options_.color);
        for (const Json& c : r.value("convs", Json::array())) {
          std::string line = ConvLabel(c.value("conv", ""), session_.user()) + "  " +
                             std::to_string(c.value("unread", 0)) + " unread, last seq " +
                             std::to_string(c.value("last_seq", 0));
          if (c.contains("last") && c["last"].is_object()) {
            line += "\n    " + RenderMessage(c["last"], ctx);
          }
          out += (out.empty() ? "" : "\n") + line;
        }
        if (!options_.json) ui_->Print(out.empty() ? "no conversations" : out);
      },
      std::move(done));
}

void Chat::CmdSwitch(const Command& c, Done done) {
  std::string target = c.Arg(0);
  if (target.empty() || (target[0] != '#' && target[0] != '@')) {
    ui_->Error("/switch to #ROOM or @USER");
    return done(false);
  }
  current_ = ConvOf(target);
  ui_->Refresh();
  if (options_.interactive) return ShowRecent(current_, 10, std::move(done));
  done(true);
}

// Shows the latest messages of `conv` and marks them read.
void Chat::ShowRecent(const std::string& conv, int limit, Done done) {
  session_.Internal({{"type", "history"}, {"conv", conv}, {"limit", limit}},
                    [this, conv, done](const Json& r) {
                      if (r.value("type", "") == "ok") {
                        RenderContext ctx = Context(options_.color);
                        int64_t last = 0;
                        for (const Json& m : r.value("messages", Json::array())) {
                          ui_->Print(RenderMessage(m, ctx));
                          last = std::max(last, m.value("seq", int64_t{0}));
                        }
                        seq_.SetPosition(conv, last);
                        ScheduleRead(conv);
                      }
                      done(true);  // a new direct conversation has no history yet
                    });
}

std::string Chat::ConvArg(const Command& c, Done& done) {
  std::string conv = c.Has("conv") ? ConvOf(c.Flag("conv")) : current_;
  if (conv.empty()) {
    ui_->Error("/" + c.name + ": no current conversation (use --conv)");
    done(false);
  }
  return conv;
}

void Chat::CmdHistory(const Command& c, Done done) {
  std::string conv = c.args.empty() ? current_ : ConvOf(c.Arg(0));
  if (conv.empty()) {
    ui_->Error("/history: no current conversation");
    return done(false);
  }
  Json req = {{"type", "history"}, {"conv", conv}, {"limit", 20}};
  for (const char* f : {"limit", "before", "after"}) {
    if (!c.Has(f)) continue;
    auto v = ParseInt(c.Flag(f));
    if (!v) {
      ui_->Error(std::string("--") + f + " takes a number");
      return done(false);
    }
    req[f] = *v;
  }
  Req(
      req,
      [this, conv](const Json& r) {
        RenderContext ctx = Context(options_.color);
        int64_t last = 0;
        for (const Json& m : r.value("messages", Json::array())) {
          if (!options_.json) ui_->Print(RenderMessage(m, ctx));
          last = std::max(last, m.value("seq", int64_t{0}));
        }
        if (options_.interactive && last > 0) {
          seq_.SetPosition(conv, last);
          ScheduleRead(conv);
        }
      },
      std::move(done));
}

void Chat::CmdSearch(const Command& c, Done done) {
  Json req = {{"type", "search"}, {"query", c.Arg(0)}};
  if (c.Has("conv")) req["conv"] = ConvOf(c.Flag("conv"));
  if (c.Has("limit")) req["limit"] = ParseInt(c.Flag("limit")).value_or(20);
  Req(
      req,
      [this](const Json& r) {
        if (options_.json) return;
        const Json msgs = r.value("messages", Json::array());
        if (msgs.empty()) ui_->Print("no matches");
        RenderContext ctx = Context(options_.color);
        for (const Json& m : msgs) ui_->Print(RenderMessage(m, ctx));
      },
      std::move(done));
}

void Chat::CmdMessageOp(const Command& c, Done done) {
  std::string conv = ConvArg(c, done);
  if (conv.empty()) return;
  std::optional<int64_t> seq;
  if (!c.args.empty()) {
    seq = ParseInt(c.Arg(0));
    if (!seq || *seq < 1) {
      ui_->Error("/" + c.name + ": SEQ must be a message number");
      return done(false);
    }
  }
  Json req = {{"conv", conv}};
  if (c.name == "edit") {
    auto sealed = SealText(conv, c.Arg(1));
    if (!sealed) return done(false);
    req.update({{"type", "msg.edit"}, {"seq", *seq}, {"text", *sealed}});
  } else if (c.name == "delete") {
    req.update({{"type", "msg.delete"}, {"seq", *seq}});
  } else if (c.name == "react") {
    req.update({{"type", "msg.react"}, {"seq", *seq}, {"emoji", c.Arg(1)}, {"on", !c.Has("off")}});
  } else {  // read
    int64_t pos = seq_.position(conv);
    int64_t upto = seq ? *seq : pos > 0 ? pos : int64_t{1} << 50;
    req.update({{"type", "msg.read"}, {"seq", upto}});
  }
  Req(req, nullptr, std::move(done));
}

void Chat::CmdWait(const Command& c, Done done) {
  std::shared_ptr<std::regex> re;
  try {
    re = std::make_shared<std::regex>(c.Arg(0), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    ui_->Error("/wait: bad pattern: " + std::string(e.what()));
    return done(false);
  }
  double timeout = 0;  // none: wait as long as it takes
  if (c.Has("timeout")) {
    const std::string& v = c.Flag("timeout");
    char* end = nullptr;
    errno = 0;
    timeout = strtod(v.c_str(), &end);
    // At most 30 days: the timer counts milliseconds in an int64_t.
    if (v.empty() || *end || errno == ERANGE || !std::isfinite(timeout) || timeout <= 0 ||
        timeout > 30 * 86400) {
      ui_->Error(
          "/wait: --timeout takes a number of seconds, more than 0 and at most 30 days, "
          "not '" +
          v + "'");
      return done(false);
    }
  }
  auto state = std::make_shared<std::pair<uint64_t, uint64_t>>(0, 0);  // watcher, timer
  state->first = Watch([this, re, state, done](const Json&, const std::string& line) {
    if (line.empty() || !std::regex_search(line, *re)) return false;
    loop_->Cancel(state->second);
    done(true);
    return true;
  });
  if (timeout > 0) {
    state->second = loop_->After(static_cast<int64_t>(timeout * 1000), [this, state, c, done] {
      Unwatch(state->first);
      ui_->Error("/wait: timed out waiting for " + c.Arg(0));
      done(false);
    });
  }
}

void Chat::CmdRaw(const Command& c, Done done) {
  Json req = Json::parse(c.Arg(0), nullptr, false);
  if (!req.is_object() || !req.contains("type")) {
    ui_->Error("/raw takes a JSON object with a type");
    return done(false);
  }
  session_.RequestAsWritten(req, [this, done](const Json& r) {
    if (!options_.json) ui_->Print(DumpJson(r));
    done(r.value("type", "") != "error");
  });
}

}  // namespace slchat

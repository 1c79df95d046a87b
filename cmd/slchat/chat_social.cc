// Chat: presence, calls, moments, live streams and files.

#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "chat.h"
#include "smartlink/util/crypto.h"

namespace slchat {

namespace {

std::string StripAt(const std::string& s) { return !s.empty() && s[0] == '@' ? s.substr(1) : s; }

// moment_id as the server wants it: an integer when it is one.
Json MomentId(const std::string& s) {
  if (s.empty() || s.size() > 18) return s;
  for (char c : s) {
    if (c < '0' || c > '9') return s;
  }
  return std::stoll(s);
}

}  // namespace

void Chat::CmdStatus(const Command& c, Done done) {
  std::string status = c.Arg(0);
  if (status != "online" && status != "away" && status != "busy") {
    ui_->Error("/status is online, away or busy");
    return done(false);
  }
  Json req = {{"type", "presence.set"}, {"status", status}};
  if (c.args.size() > 1) req["note"] = c.Arg(1);
  Req(
      req,
      [this, status, c](const Json&) {
        if (!options_.json) {
          ui_->Print("you are " + status + (c.args.size() > 1 ? " (" + c.Arg(1) + ")" : ""));
        }
      },
      std::move(done));
}

void Chat::CmdPresence(const Command& c, Done done) {
  Json users = Json::array();
  for (const std::string& u : c.args) users.push_back(StripAt(u));
  Req(
      {{"type", "presence.get"}, {"users", users}},
      [this](const Json& r) {
        if (options_.json) return;
        RenderContext ctx = Context(false);
        std::string out;
        for (const Json& p : r.value("presence", Json::array())) {
          std::string line = p.value("user", "") + ": " + p.value("status", "unknown");
          if (p.contains("note") && p["note"].is_string()) line += " (" + p.value("note", "") + ")";
          if (p.contains("last_seen") && p["last_seen"].is_number()) {
            int64_t seen = p["last_seen"].get<int64_t>();
            line += seen > 0 ? ", since " + FormatTime(seen, ctx.now_ms) : ", never seen";
          }
          out += (out.empty() ? "" : "\n") + Sanitize(line, false);
        }
        ui_->Print(out);
      },
      std::move(done));
}

void Chat::ReadSdp(const std::string& command, const std::string& arg,
                   std::function<void(std::optional<std::string>)> then) {
  if (arg.empty()) return then(std::string());
  // An SDP_FILE or '-' that gives no SDP is a slip, not a call without one: it is refused
  // here, as a usage error, rather than sent as an offer or answer nobody can use.
  auto checked = [this, command, arg, then](const std::string& sdp) {
    if (sdp.find_first_not_of(" \t\r\n") != std::string::npos) return then(sdp);
    std::string what = arg != "-"                ? arg + " holds no SDP"
                       : options_.lines_on_stdin ? "no SDP lines before the '.'"
                                                 : "no SDP on standard input";
    const CommandSpec* spec = FindCommand(command);
    ui_->Error("/" + command + ": empty SDP: " + what +
               (spec ? " (usage: " + Usage(*spec) + ")" : ""));
    then(std::nullopt);
  };
  if (arg != "-") {
    std::ifstream in(arg, std::ios::binary);
    if (!in) {
      ui_->Error("cannot read " + arg);
      return then(std::nullopt);
    }
    std::ostringstream s;
    s << in.rdbuf();
    return checked(s.str());
  }
  if (!options_.lines_on_stdin) {
    std::ostringstream s;
    s << std::cin.rdbuf();
    return checked(s.str());
  }
  if (!options_.json) ui_->Notice("enter the SDP, then a line with a single '.'");
  heredoc_text_.clear();
  heredoc_ = std::move(checked);
  ui_->Refresh();
}

void Chat::NoteSignal(const Json& ev) {
  std::string id = ev.value("call_id", "");
  std::string kind = ev.value("kind", "");
  std::string from = ev.value("from", "");
  if (kind == "offer") {
    calls_[id] = Call{from, false, false};
    last_call_ = id;
  } else if (kind == "answer") {
    auto it = calls_.find(id);
    if (it != calls_.end()) it->second.active = true;
  } else if (kind == "hangup") {
    calls_.erase(id);
    if (last_call_ == id) last_call_.clear();
  }
}

void Chat::CmdCall(const Command& c, Done done) {
  std::string peer = StripAt(c.Arg(0));
  ReadSdp("call", c.Arg(1), [this, peer, done](std::optional<std::string> sdp) {
    if (!sdp) return done(false);
    std::string id = smartlink::crypto::RandomHex(8);
    Json payload = Json::object();
    if (!sdp->empty()) payload = {{"type", "offer"}, {"sdp", *sdp}};
    Req(
        {{"type", "signal"},
         {"to", "@" + peer},
         {"call_id", id},
         {"kind", "offer"},
         {"payload", payload}},
        [this, peer, id](const Json&) {
          calls_[id] = Call{peer, true, false};
          last_call_ = id;
          if (!options_.json) ui_->Print("calling " + peer + " (call " + id + ")");
        },
        done);
  });
}

void Chat::CmdAnswer(const Command& c, Done done) {
  std::string id = c.Flag("call", last_call_);
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second.outgoing) {
    ui_->Error("no call to answer");
    return done(false);
  }
  std::string peer = it->second.peer;
  ReadSdp("answer", c.Arg(0), [this, id, peer, done](std::optional<std::string> sdp) {
    if (!sdp) return done(false);
    Json payload = Json::object();
    if (!sdp->empty()) payload = {{"type", "answer"}, {"sdp", *sdp}};
    Req(
        {{"type", "signal"},
         {"to", "@" + peer},
         {"call_id", id},
         {"kind", "answer"},
         {"payload", payload}},
        [this, id, peer](const Json&) {
          calls_[id].active = true;
          if (!options_.json) ui_->Print("in call " + id + " with " + peer);
          // The server relays to every session of a user: tell ours to stop ringing.
          session_.Internal({{"type", "signal"},
                             {"to", "@" + self()},
                             {"call_id", id},
                             {"kind", "hangup"},
                             {"payload", {{"reason", "answered elsewhere"}}}},
                            [](const Json&) {});
        },
        done);
  });
}

void Chat::CmdIce(const Command& c, Done done) {
  std::string id = c.Flag("call", last_call_);
  auto it = calls_.find(id);
  if (it == calls_.end()) {
    ui_->Error("no call for ICE candidates");
    return done(false);
  }
  Req({{"type", "signal"},
       {"to", "@" + it->second.peer},
       {"call_id", id},
       {"kind", "ice"},
       {"payload", {{"candidate", c.Arg(0)}}}},
      nullptr, std::move(done));
}

void Chat::CmdHangup(const Command& c, Done done) {
  std::string id = c.Arg(0, last_call_);
  auto it = calls_.find(id);
  if (it == calls_.end()) {
    ui_->Error("no call to hang up");
    return done(false);
  }
  std::string peer = it->second.peer;
  calls_.erase(it);
  if (last_call_ == id) last_call_.clear();
  Req(
      {{"type", "signal"},
       {"to", "@" + peer},
       {"call_id", id},
       {"kind", "hangup"},
       {"payload", {{"reason", "hangup"}}}},
      [this, id](const Json&) {
        if (!options_.json) ui_->Print("call " + id + " ended");
      },
      std::move(done));
}

void Chat::CmdSocial(const Command& c, Done done) {
  const std::string& n = c.name;
  if (n == "follow" || n == "unfollow") {
    std::string user = StripAt(c.Arg(0));
    return Req(
        {{"type", n}, {"user", user}},
        [this, n, user](const Json&) {
          if (!options_.json) ui_->Print((n == "follow" ? "following " : "not following ") + user);
        },
        std::move(done));
  }
  if (n == "moment") {
    return Req(
        {{"type", "moment.post"}, {"text", c.Arg(0)}},
        [this](const Json& r) {
          if (!options_.json) ui_->Print("posted moment " + r.value("moment_id", Json(0)).dump());
        },
        std::move(done));
  }
  if (n == "feed") {
    Json req = {{"type", "moment.feed"}};
    if (c.Has("limit")) req["limit"] = MomentId(c.Flag("limit"));
    if (c.Has("before")) req["before"] = MomentId(c.Flag("before"));
    return Req(
        req,
        [this](const Json& r) {
          if (options_.json) return;
          Json moments = r.value("moments", Json::array());
          if (moments.empty()) ui_->Print("no moments");
          RenderContext ctx = Context(options_.color);
          for (auto it = moments.rbegin(); it != moments.rend(); ++it) {
            ui_->Print(RenderMoment(*it, ctx));  // newest last, next to the prompt
          }
        },
        std::move(done));
  }
  if (n == "like") {
    return Req({{"type", "moment.like"}, {"moment_id", MomentId(c.Arg(0))}, {"on", !c.Has("off")}},
               nullptr, std::move(done));
  }
  if (n == "comment") {
    return Req({{"type", "moment.comment"}, {"moment_id", MomentId(c.Arg(0))}, {"text", c.Arg(1)}},
               nullptr, std::move(done));
  }
  ui_->Error("unknown command /" + n);
  done(false);
}

void Chat::CmdLive(const Command& c, Done done) {
  std::string action = c.Arg(0), stream = c.Arg(1), text = c.Arg(2);
  Json req = {{"type", "live." + action}, {"stream", stream}};
  if (action == "start") {
    req["title"] = text.empty() ? stream : text;
  } else if (action == "chat" || action == "react") {
    if (text.empty()) {
      ui_->Error("/live " + action + " STREAM " + (action == "chat" ? "TEXT" : "EMOJI"));
      return done(false);
    }
    req[action == "chat" ? "text" : "emoji"] = text;
  } else if (action != "end" && action != "join" && action != "leave") {
    ui_->Error("/live start|end|join|leave|chat|react STREAM");
    return done(false);
  }
  streams_.insert(stream);
  Req(
      req,
      [this, action, stream](const Json& r) {
        if (options_.json) return;
        if (action == "start") ui_->Print("live:" + stream + " is live");
        if (action == "join") {
          ui_->Print("watching live:" + stream + " by " + r.value("host", "") + " (" +
                     std::to_string(r.value("viewers", 0)) + " watching)");
        }
        if (action == "end" || action == "leave") ui_->Print("left live:" + stream);
      },
      std::move(done));
}

void Chat::CmdSend(const Command& c, Done done) {
  std::string to = c.Has("to") ? c.Flag("to") : TargetOf(current_);
  if (to.empty()) {
    ui_->Error("/send: no current conversation (use --to)");
    return done(false);
  }
  std::string path = c.Arg(0);
  // The input the commands come from cannot also be the file: the two would split its bytes.
  struct stat file, input;
  if (options_.lines_on_stdin && stat(path.c_str(), &file) == 0 && fstat(0, &input) == 0 &&
      file.st_dev == input.st_dev && file.st_ino == input.st_ino) {
    ui_->Error("/send: " + path +
               " is where slchat reads its commands from; upload it with `slchat upload`, or "
               "give the commands with -e");
    return done(false);
  }
  transfers_->Upload(path, to, [this, path, to, done](bool ok, const Json& r) {
    if (!ok) {
      ui_->Error(r.value("message", "upload failed"));
      return done(false);
    }
    if (!options_.json) {
      ui_->Print("sent " + BaseName(path) + " to " + to + " (file " + r.value("file_id", "") +
                 ", sha256 " + r.value("sha256", "") + ")");
    }
    done(true);
  });
}

void Chat::CmdGet(const Command& c, Done done) {
  if (options_.json && c.Arg(1) == "-") {
    ui_->Error("/get: with --json, standard output holds JSON lines only: give a PATH");
    return done(false);
  }
  transfers_->Download(c.Arg(0), c.Arg(1), [this, done](bool ok, const Json& r) {
    if (!ok) {
      ui_->Error(r.value("message", "download failed"));
      return done(false);
    }
    if (options_.json) {
      Json j = r;
      j["type"] = "slchat.downloaded";
      ui_->PrintJson(j);
    } else if (r.value("path", "") != "-") {
      ui_->Print("saved " + r.value("path", "") + " (" + FormatSize(r.value("size", uint64_t{0})) +
                 ", sha256 ok)");
    }
    done(true);
  });
}

}  // namespace slchat

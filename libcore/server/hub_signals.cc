// Signals, never stored: presence, typing indicators, call signaling.

#include "hub_impl.h"

namespace smartlink::server {

namespace {
constexpr int64_t kTypingLapseMs = 5000;   // typing on: true lapses without a refresh
constexpr int64_t kTypingRelayMs = 3000;   // a refresh is relayed again after this long
constexpr int64_t kRingTimeoutMs = 60000;  // an unanswered call is forgotten
constexpr size_t kMaxCallsPerUser = 8;
}  // namespace

void Hub::Impl::PresenceChanged(const std::string& user, ConnId except) {
  const state::User* u = state.FindUser(user);
  if (!u) return;
  Json ev = {{"user", user}, {"status", u->status}, {"last_seen", u->last_seen}};
  if (!u->note.empty()) ev["note"] = u->note;
  FramePtr frame = MakeFrame(protocol::EncodeEvent("presence", std::move(ev)));
  for (const std::string& contact : state.Contacts(user)) SendToUser(contact, frame, "presence");
  SendToUser(user, frame, "presence", except);  // the user's other devices
}

void Hub::Impl::PresenceSet(Conn& c, const Request& req) {
  const auto& p = req.as<protocol::PresenceSet>();
  state::User& u = state.GetUser(c.user);
  u.status = p.status;
  if (p.note) u.note = *p.note;
  u.last_seen = clock.NowMs();
  Reply(c, req, {{"status", u.status}});
  PresenceChanged(c.user, c.id);
}

void Hub::Impl::PresenceGet(Conn& c, const Request& req) {
  const auto& p = req.as<protocol::PresenceGet>();
  std::set<std::string> contacts = state.Contacts(c.user);
  Json out = Json::array();
  for (const std::string& user : p.users) {
    // Presence is shared with people one has a conversation with, like the events.
    if (user != c.user && !contacts.count(user)) {
      out.push_back({{"user", user}, {"status", "unknown"}, {"last_seen", nullptr}});
      continue;
    }
    const state::User* u = state.FindUser(user);
    bool online = u && !u->sessions.empty();
    Json one = {{"user", user},
                {"status", online ? u->status : "offline"},
                {"last_seen", online ? clock.NowMs() : (u ? u->last_seen : 0)}};
    if (u && !u->note.empty()) one["note"] = u->note;
    out.push_back(std::move(one));
  }
  Reply(c, req, {{"presence", std::move(out)}});
}

void Hub::Impl::TypingReq(Conn& c, const Request& req) {
  const auto& t = req.as<protocol::Typing>();
  auto conv = protocol::ParseTarget(t.to, c.user);
  if (!conv) {
    Error(c, req.id, Status::BadRequest("field 'to' must be #room or @user"));
    return;
  }
  if (Status s = CheckMember(*conv, c.user); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  std::string conv_id = conv->str();
  int64_t now = clock.MonotonicMs();
  auto key = std::make_pair(conv_id, c.user);
  auto it = typing.find(key);
  if (t.on) {
    bool relay = it == typing.end() || now - it->second.relayed_ms >= kTypingRelayMs;
    Typing& entry = typing[key];
    entry.expires_ms = now + kTypingLapseMs;
    if (relay) {
      entry.relayed_ms = now;
      Broadcast(*conv,
                MakeFrame(protocol::EncodeEvent(
                    "typing", {{"conv", conv_id}, {"user", c.user}, {"on", true}})),
                "typing", c.id, 0, /*skip_user_of_except=*/true);
    }
  } else if (it != typing.end()) {
    StopTyping(conv_id, c.user);
  }
  Reply(c, req);
}

void Hub::Impl::StopTyping(const std::string& conv_id, const std::string& user) {
  typing.erase(std::make_pair(conv_id, user));
  auto conv = protocol::ParseConv(conv_id);
  if (!conv) return;
  FramePtr frame = MakeFrame(
      protocol::EncodeEvent("typing", {{"conv", conv_id}, {"user", user}, {"on", false}}));
  for (const std::string& member : state.MembersOf(*conv)) {
    if (member != user) SendToUser(member, frame, "typing");
  }
}

void Hub::Impl::ExpireTyping(int64_t now) {
  std::vector<std::pair<std::string, std::string>> lapsed;
  for (const auto& [key, t] : typing) {
    if (t.expires_ms <= now) lapsed.push_back(key);
  }
  for (const auto& [conv, user] : lapsed) StopTyping(conv, user);
}

void Hub::Impl::SignalReq(Conn& c, const Request& req) {
  const auto& s = req.as<protocol::Signal>();
  if (s.to_user == c.user) {
    Error(c, req.id, Status::BadRequest("cannot signal yourself"));
    return;
  }
  auto it = calls.find(s.call_id);
  if (!state.IsOnline(s.to_user)) {
    if (it != calls.end() && s.kind == "hangup") calls.erase(it);
    Error(c, req.id, Status::NotFound(s.to_user + " has no session"));
    return;
  }
  if (it != calls.end()) {
    Call& call = it->second;
    bool parties = (call.caller == c.user && call.callee == s.to_user) ||
                   (call.callee == c.user && call.caller == s.to_user);
    if (!parties) {
      Error(c, req.id, Status::Conflict("call_id " + s.call_id + " is in use"));
      return;
    }
    if (s.kind == "answer") {
      if (c.user != call.callee) {
        Error(c, req.id, Status::BadRequest("only the callee answers"));
        return;
      }
      if (call.callee_conn != 0 && call.callee_conn != c.id) {
        Error(c, req.id, Status::Conflict("the call was answered on another session"));
        return;
      }
      call.callee_conn = c.id;
    }
    if (s.kind == "offer" && c.user == call.callee) call.callee_conn = c.id;  // renegotiation
  } else {
    if (s.kind != "offer") {
      Error(c, req.id, Status::NotFound("no call " + s.call_id + ": start it with an offer"));
      return;
    }
    size_t mine = 0;
    for (const auto& [id, call] : calls) mine += call.caller == c.user || call.callee == c.user;
    if (mine >= kMaxCallsPerUser) {
      Error(c, req.id, Status::Conflict("too many calls at once"));
      return;
    }
  }
  if (it == calls.end()) {
    Call call;
    call.caller = c.user;
    call.callee = s.to_user;
    call.caller_conn = c.id;
    call.started_ms = clock.MonotonicMs();
    it = calls.emplace(s.call_id, std::move(call)).first;
  }
  Json ev = {{"from", c.user}, {"call_id", s.call_id}, {"kind", s.kind}};
  ev["payload"] = s.payload.is_null() ? Json::object() : s.payload;
  FramePtr frame = MakeFrame(protocol::EncodeEvent("signal", std::move(ev)));
  // Once a session has answered, the call is between two sessions; before, every session of
  // the callee rings.
  const Call& call = it->second;
  ConnId target = c.user == call.caller ? call.callee_conn : call.caller_conn;
  Conn* tc = target ? Find(target) : nullptr;
  if (tc) {
    Send(*tc, frame, "signal");
  } else {
    SendToUser(s.to_user, frame, "signal");
  }
  if (s.kind == "answer" && call.callee_conn == c.id) {
    // Tell the callee's other sessions to stop ringing.
    Json stop = {{"from", call.caller},
                 {"call_id", s.call_id},
                 {"kind", "hangup"},
                 {"payload", {{"reason", "answered elsewhere"}}}};
    SendToUser(c.user, MakeFrame(protocol::EncodeEvent("signal", std::move(stop))), "signal", c.id);
  }
  if (s.kind == "hangup") calls.erase(it);
  Reply(c, req);
}

void Hub::Impl::EndCallsOf(Conn& c) {
  for (auto it = calls.begin(); it != calls.end();) {
    const Call& call = it->second;
    bool ours = call.caller_conn == c.id || call.callee_conn == c.id;
    if (!ours) {
      ++it;
      continue;
    }
    std::string other = call.caller_conn == c.id ? call.callee : call.caller;
    Json ev = {{"from", c.user},
               {"call_id", it->first},
               {"kind", "hangup"},
               {"payload", {{"reason", "disconnected"}}}};
    FramePtr frame = MakeFrame(protocol::EncodeEvent("signal", std::move(ev)));
    ConnId peer = call.caller_conn == c.id ? call.callee_conn : call.caller_conn;
    if (Conn* pc = peer ? Find(peer) : nullptr) {
      Send(*pc, frame, "signal");
    } else {
      SendToUser(other, frame, "signal");
    }
    it = calls.erase(it);
  }
}

void Hub::Impl::ExpireCalls(int64_t now) {
  for (auto it = calls.begin(); it != calls.end();) {
    if (it->second.callee_conn == 0 && now - it->second.started_ms > kRingTimeoutMs) {
      it = calls.erase(it);
    } else {
      ++it;
    }
  }
}

void Hub::Impl::SessionEnded(Conn& c) {
  EndCallsOf(c);
  bool last = state.RemoveSession(c.user, c.id);
  if (!last) return;
  std::vector<std::string> convs;
  for (const auto& [key, t] : typing) {
    if (key.second == c.user) convs.push_back(key.first);
  }
  for (const auto& conv : convs) StopTyping(conv, c.user);
  state::User& u = state.GetUser(c.user);
  u.status = "offline";
  u.last_seen = clock.NowMs();
  PresenceChanged(c.user, c.id);
}

}  // namespace smartlink::server

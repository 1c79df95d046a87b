// Signals, never stored: presence, typing indicators, call signaling.

#include <algorithm>

#include "hub_impl.h"

namespace smartlink::server {

namespace {
constexpr int64_t kTypingLapseMs = 5000;  // typing on: true lapses without a refresh
constexpr int64_t kTypingRelayMs = 3000;  // a refresh is relayed again after this long
constexpr size_t kMaxCallsPerUser = 8;    // calls a user has made and not ended

// The hangup the server sends for a party of a call that ended without one.
FramePtr HangupFrame(const std::string& from, const std::string& call_id, const char* reason) {
  Json ev = {
      {"from", from}, {"call_id", call_id}, {"kind", "hangup"}, {"payload", {{"reason", reason}}}};
  return MakeFrame(protocol::EncodeEvent("signal", std::move(ev)));
}
}  // namespace

void Hub::Impl::PresenceChanged(const std::string& user, ConnId except) {
  const state::User* u = state.FindUser(user);
  if (!u) return;
  std::vector<std::string_view> contacts = state.OnlineContacts(user);
  const std::vector<ConnId>& own = state.SessionsOf(user);
  bool other_devices = own.size() > static_cast<size_t>(std::count(own.begin(), own.end(), except));
  if (contacts.empty() && !other_devices) return;  // nobody to tell: no frame to build
  Json ev = {{"user", user}, {"status", u->status}, {"last_seen", u->last_seen}};
  if (!u->note.empty()) ev["note"] = u->note;
  FramePtr frame = MakeFrame(protocol::EncodeEvent("presence", std::move(ev)));
  for (std::string_view contact : contacts) SendToUser(contact, frame, "presence");
  if (other_devices) SendToUser(user, frame, "presence", except);
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
    // Anyone's status (PROTOCOL.md sets no bound on presence.get; a user never seen is
    // offline with last_seen 0); the note only for oneself and contacts, who also get it in
    // presence events.
    const state::User* u = state.FindUser(user);
    bool online = u && !u->sessions.empty();
    Json one = {{"user", user},
                {"status", online ? u->status : "offline"},
                {"last_seen", online ? clock.NowMs() : (u ? u->last_seen : 0)}};
    bool contact = user == c.user || contacts.count(user);
    if (contact && u && !u->note.empty()) one["note"] = u->note;
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
  Json ev = {{"from", c.user}, {"call_id", s.call_id}, {"kind", s.kind}};
  ev["payload"] = s.payload.is_null() ? Json::object() : s.payload;
  FramePtr frame = MakeFrame(protocol::EncodeEvent("signal", std::move(ev)));
  if (s.to_user == c.user) {
    // To one's own other sessions (say, "answered on the phone" to the laptop): relayed,
    // never a call.
    SendToUser(c.user, frame, "signal", c.id);
    Reply(c, req);
    return;
  }
  // The server relays; it follows a call only to end it when a party's session goes away.
  // A call is named by its call_id and its two users, so other users' ids never collide.
  std::string key = s.call_id;
  key.append(1, '\0').append(std::min(c.user, s.to_user)).append(1, '\0');
  key.append(std::max(c.user, s.to_user));
  auto it = calls.find(key);
  if (!state.IsOnline(s.to_user)) {
    if (it != calls.end() && s.kind == "hangup") calls.erase(it);
    Error(c, req.id, Status::NotFound(s.to_user + " has no session"));
    return;
  }
  if (it == calls.end() && s.kind == "offer") {
    // The calls one has made, not those one is rung by: others cannot fill one's limit.
    size_t mine = 0;
    for (const auto& [k, call] : calls) mine += call.caller == c.user;
    if (mine >= kMaxCallsPerUser) {
      Error(c, req.id, Status::Conflict("too many calls at once"));
      return;
    }
    Call call;
    call.call_id = s.call_id;
    call.caller = c.user;
    call.callee = s.to_user;
    call.caller_conn = c.id;
    call.started_ms = clock.MonotonicMs();
    it = calls.emplace(std::move(key), std::move(call)).first;
  } else if (it != calls.end() && c.user == it->second.callee &&
             ((s.kind == "answer" && it->second.callee_conn == 0) || s.kind == "offer")) {
    it->second.callee_conn = c.id;  // the session that took the call (or renegotiates it)
  }
  SendToUser(s.to_user, frame, "signal");
  if (s.kind == "hangup" && it != calls.end()) calls.erase(it);
  Reply(c, req);
}

void Hub::Impl::EndCallsOf(Conn& c) {
  for (auto it = calls.begin(); it != calls.end();) {
    const Call& call = it->second;
    if (call.caller_conn != c.id && call.callee_conn != c.id) {
      ++it;
      continue;
    }
    SendToUser(call.caller_conn == c.id ? call.callee : call.caller,
               HangupFrame(c.user, call.call_id, "disconnected"), "signal");
    it = calls.erase(it);
  }
}

// A call nobody answered in time ends: the caller's sessions stop calling and the callee's
// stop ringing, each told by a hangup from the other side.
void Hub::Impl::ExpireCalls(int64_t now) {
  for (auto it = calls.begin(); it != calls.end();) {
    const Call& call = it->second;
    if (call.callee_conn != 0 || now - call.started_ms < opt.ring_timeout_ms) {
      ++it;
      continue;
    }
    SendToUser(call.caller, HangupFrame(call.callee, call.call_id, "no answer"), "signal");
    SendToUser(call.callee, HangupFrame(call.caller, call.call_id, "no answer"), "signal");
    it = calls.erase(it);
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
  u.note.clear();  // presence.set's note lasts until the last session ends, as its status
  u.last_seen = clock.NowMs();
  PresenceChanged(c.user, c.id);
  state.ForgetIfIdle(c.user);
}

}  // namespace smartlink::server

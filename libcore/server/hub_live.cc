// Live streams: a host, viewers, chat and reactions, viewer counts at most once a second.
// Streams live in memory only: nothing about them is stored.

#include "hub_impl.h"

namespace smartlink::server {

namespace {
constexpr int64_t kViewerCountIntervalMs = 1000;
}  // namespace

size_t Hub::Impl::ViewerCount(const Stream& s) const {
  std::set<std::string> users;
  for (const auto& [conn, user] : s.viewers) users.insert(user);
  return users.size();
}

void Hub::Impl::ToStream(const Stream& s, const FramePtr& frame, const char* type) {
  for (const auto& [conn, user] : s.viewers) {
    if (Conn* c = Find(conn)) Send(*c, frame, type);
  }
  for (ConnId conn : state.SessionsOf(s.host)) {
    if (s.viewers.count(conn)) continue;
    if (Conn* c = Find(conn)) Send(*c, frame, type);
  }
}

// The host, the viewers and the host's followers (who were told it went live) hear that it
// ended, each session once.
void Hub::Impl::EndStream(const std::string& name, const std::string& why) {
  auto it = streams.find(name);
  if (it == streams.end()) return;
  const Stream& s = it->second;
  FramePtr frame = MakeFrame(protocol::EncodeEvent(
      "live.status", {{"stream", name}, {"status", "ended"}, {"host", s.host}, {"reason", why}}));
  ToStream(s, frame, "live.status");
  if (auto f = followers.find(s.host); f != followers.end()) {
    for (const std::string& follower : f->second) {
      for (ConnId conn : state.SessionsOf(follower)) {
        if (s.viewers.count(conn)) continue;
        if (Conn* c = Find(conn)) Send(*c, frame, "live.status");
      }
    }
  }
  streams.erase(it);
}

void Hub::Impl::LiveReq(Conn& c, const Request& req) {
  using protocol::Op;
  int64_t now = clock.MonotonicMs();
  if (req.op == Op::kLiveStart) {
    const auto& l = req.as<protocol::LiveStart>();
    auto it = streams.find(l.stream);
    if (it != streams.end()) {
      if (it->second.host != c.user) {
        Error(c, req.id, Status::Conflict("stream " + l.stream + " is live"));
        return;
      }
      Reply(c, req, {{"stream", l.stream}, {"host", c.user}, {"title", it->second.title}});
      return;
    }
    size_t hosting = 0;
    for (const auto& [n, st] : streams) hosting += st.host == c.user;
    if (hosting >= opt.max_streams_per_user) {
      Error(c, req.id, Status::Conflict("you host the most streams allowed at once"));
      return;
    }
    Stream s;
    s.name = l.stream;
    s.title = l.title;
    s.host = c.user;
    s.started_ms = now;
    streams.emplace(l.stream, std::move(s));
    Reply(c, req, {{"stream", l.stream}, {"host", c.user}, {"title", l.title}});
    // Followers hear that the host went live.
    ToFollowers(
        c.user,
        MakeFrame(protocol::EncodeEvent(
            "live.status",
            {{"stream", l.stream}, {"status", "live"}, {"host", c.user}, {"title", l.title}})),
        "live.status");
    return;
  }

  const std::string& name = req.op == Op::kLiveChat    ? req.as<protocol::LiveChat>().stream
                            : req.op == Op::kLiveReact ? req.as<protocol::LiveReact>().stream
                                                       : req.as<protocol::LiveRef>().stream;
  auto it = streams.find(name);
  if (it == streams.end()) {
    Error(c, req.id, Status::NotFound("no live stream " + name));
    return;
  }
  Stream& s = it->second;
  bool host = s.host == c.user;
  switch (req.op) {
    case Op::kLiveEnd:
      if (!host) {
        Error(c, req.id, Status::Forbidden("only the host ends a stream"));
        return;
      }
      Reply(c, req, {{"stream", name}});
      EndStream(name, "ended by the host");
      return;
    case Op::kLiveJoin: {
      bool joined = s.viewers.emplace(c.id, c.user).second;
      if (joined) s.count_dirty = true;
      Reply(c, req,
            {{"stream", name},
             {"host", s.host},
             {"title", s.title},
             {"status", "live"},
             {"viewers", ViewerCount(s)}});
      // A new viewer also gets the stream's status as an event, as every later change.
      if (joined) {
        SendRaw(c,
                protocol::EncodeEvent(
                    "live.status",
                    {{"stream", name}, {"status", "live"}, {"host", s.host}, {"title", s.title}}),
                "live.status");
      }
      return;
    }
    case Op::kLiveLeave:
      if (s.viewers.erase(c.id)) s.count_dirty = true;
      Reply(c, req, {{"stream", name}});
      return;
    default:
      break;
  }
  // live.chat and live.react: for the host and the viewers.
  if (!host && !s.viewers.count(c.id)) {
    Error(c, req.id, Status::Forbidden("join the stream first"));
    return;
  }
  Json ev = {{"stream", name}, {"user", c.user}, {"ts", clock.NowMs()}};
  const char* type = "live.chat";
  if (req.op == Op::kLiveChat) {
    ev["text"] = req.as<protocol::LiveChat>().text;
  } else {
    type = "live.react";
    ev["emoji"] = req.as<protocol::LiveReact>().emoji;
  }
  Reply(c, req);
  ToStream(s, MakeFrame(protocol::EncodeEvent(type, std::move(ev))), type);
}

void Hub::Impl::TickStreams(int64_t now) {
  std::vector<std::pair<std::string, std::string>> ended;
  for (auto& [name, s] : streams) {
    if (state.IsOnline(s.host)) {
      s.host_gone_ms = 0;
    } else if (s.host_gone_ms == 0) {
      s.host_gone_ms = now;
    } else if (now - s.host_gone_ms >= opt.live_grace_ms) {
      ended.emplace_back(name, "the host left");
      continue;
    }
    if (s.count_dirty && now - s.last_count_ms >= kViewerCountIntervalMs) {
      size_t count = ViewerCount(s);
      s.count_dirty = false;
      if (count == s.last_count_sent && s.last_count_ms != 0) continue;
      s.last_count_ms = now;
      s.last_count_sent = count;
      ToStream(
          s, MakeFrame(protocol::EncodeEvent("live.viewers", {{"stream", name}, {"count", count}})),
          "live.viewers");
    }
  }
  for (const auto& [name, why] : ended) EndStream(name, why);
}

void Hub::Impl::LeaveStreams(ConnId id) {
  for (auto& [name, s] : streams) {
    if (s.viewers.erase(id)) s.count_dirty = true;
  }
}

}  // namespace smartlink::server

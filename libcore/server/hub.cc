#include "smartlink/server/hub.h"

#include "hub_impl.h"
#include "smartlink/auth/jwt.h"
#include "smartlink/util/crypto.h"

namespace smartlink::server {

using protocol::Op;

namespace {

// Frames that answer a request (and file downloads, which the client paces by what it has
// received) are written at once; events may wait for the transport to coalesce them.
bool IsReply(const char* type) {
  std::string_view t = type;
  return t == "ok" || t == "error" || t == "welcome" || t == "pong" || t == "file.data";
}

}  // namespace

Hub::Hub(HubOptions options, const Clock& clock, storage::StorageWorker& storage,
         Transport& transport, LogFn log)
    : impl_(std::make_unique<Impl>(std::move(options), clock, storage, transport, std::move(log))) {
  impl_->started_ms = clock.MonotonicMs();
}

Hub::~Hub() = default;

Status Hub::Load() {
  struct Snapshot {
    std::vector<storage::RoomRecord> rooms;
    std::vector<storage::MemberRecord> members;
    std::vector<storage::ConvRecord> convs;
    std::vector<std::pair<std::string, std::string>> follows;
    std::vector<std::string> pending;  // users with notifications not yet delivered
    int64_t files = 0;
  };
  if (!impl_->opt.data_dir.empty()) {
    if (Status s = impl_->PrepareFileDirs(); !s.ok()) return s;
  }
  auto snap = impl_->storage.Call<Snapshot>([](storage::Store& s) -> Result<Snapshot> {
    Snapshot out;
    auto rooms = s.LoadRooms();
    if (!rooms.ok()) return rooms.status();
    auto members = s.LoadMembers();
    if (!members.ok()) return members.status();
    auto convs = s.LoadConvs();
    if (!convs.ok()) return convs.status();
    auto follows = s.LoadFollows();
    if (!follows.ok()) return follows.status();
    auto stats = s.GetStats("");
    if (!stats.ok()) return stats.status();
    auto pending = s.UsersWithPendingNotifications();
    if (!pending.ok()) return pending.status();
    out.pending = std::move(*pending);
    out.rooms = std::move(*rooms);
    out.members = std::move(*members);
    out.convs = std::move(*convs);
    out.follows = std::move(*follows);
    out.files = stats->files;
    return out;
  });
  if (!snap.ok()) return snap.status();
  size_t rooms = snap->rooms.size();
  for (const auto& [follower, followee] : snap->follows) {
    if (impl_->followers[followee].insert(follower).second) impl_->following[follower]++;
  }
  impl_->files_stored = snap->files;
  impl_->pending_users.insert(snap->pending.begin(), snap->pending.end());
  impl_->state.Load(std::move(snap->rooms), std::move(snap->members), std::move(snap->convs));
  impl_->log("info", "loaded " + std::to_string(rooms) + " rooms");
  return Status::Ok();
}

bool Hub::AcceptConnection() {
  if (impl_->conns.size() < impl_->opt.max_connections) return true;
  impl_->metrics.refused_connections++;
  return false;
}

bool Hub::AcceptOrigin(const std::string& origin) const { return impl_->OriginAllowed(origin); }

size_t Hub::connections() const { return impl_->conns.size(); }
size_t Hub::sessions() const {
  size_t n = 0;
  for (const auto& [id, c] : impl_->conns) n += c.authed() ? 1 : 0;
  return n;
}

void Hub::OnOpen(ConnId id, HandshakeInfo info) {
  Impl& h = *impl_;
  int64_t now = h.clock.MonotonicMs();
  auto [it, inserted] = h.conns.try_emplace(id);
  Impl::Conn& c = it->second;
  c.id = id;
  c.opened_ms = c.last_rx_ms = c.last_ping_ms = now;
  h.metrics.connections_total++;

  if (!info.token.empty() && !h.opt.verifier) {
    // As for a token in the auth frame: the client may still name itself (below, or with
    // an auth frame before the auth timeout).
    h.Error(c, nullptr,
            Status::Unauthenticated("this server runs open auth without a key: send 'user'"));
  } else if (!info.token.empty()) {
    auto claims = h.opt.verifier->Verify(info.token, h.clock.NowMs());
    if (!claims.ok()) {
      h.Error(c, nullptr, claims.status());
      h.CloseConn(c, 4003, claims.status().message());
      return;
    }
    h.Authenticate(c, claims->sub, claims->exp, nullptr);
    return;
  }
  if (!info.user.empty() && h.opt.open_auth) {
    if (protocol::IsReservedUserId(info.user)) {
      h.Error(c, nullptr,
              Status::BadRequest("user 'system' is reserved for the server's own messages"));
    } else if (!protocol::IsValidUserId(info.user)) {
      h.Error(c, nullptr, Status::BadRequest("invalid user id"));
    } else {
      h.Authenticate(c, info.user, std::nullopt, nullptr);
      return;
    }
  }
  h.auth_deadlines.emplace_back(now + h.opt.auth_timeout_ms, id);
}

void Hub::OnText(ConnId id, std::string_view text) {
  Impl& h = *impl_;
  Impl::Conn* c = h.Find(id);
  if (!c || c->closing) return;
  h.Arrived(*c, text, false);
}

void Hub::OnBinary(ConnId id, std::string_view data) {
  Impl& h = *impl_;
  Impl::Conn* c = h.Find(id);
  if (!c || c->closing) return;
  h.Arrived(*c, data, true);
}

void Hub::OnPong(ConnId id) {
  if (Impl::Conn* c = impl_->Find(id)) c->last_rx_ms = impl_->clock.MonotonicMs();
}

void Hub::OnClose(ConnId id) {
  Impl& h = *impl_;
  Impl::Conn* c = h.Find(id);
  if (!c) return;
  if (c->held && !c->held->frames.empty() && !c->closing) {
    // Requests the client sent before it closed, behind one still in storage: handled
    // when that is done (ReleaseHeld), then the connection is forgotten.
    c->closing = true;
    c->gone = true;
    return;
  }
  h.Forget(id);
}

void Hub::Impl::Forget(ConnId id) {
  auto it = conns.find(id);
  if (it == conns.end()) return;
  Conn& c = it->second;
  if (c.authed()) SessionEnded(c);
  LeaveStreams(id);
  conns.erase(it);
}

void Hub::OnTick() {
  Impl& h = *impl_;
  int64_t now = h.clock.MonotonicMs();
  for (auto& [id, c] : h.conns) h.CheckBacklog(c, now);
  while (!h.auth_deadlines.empty() && h.auth_deadlines.front().first <= now) {
    ConnId id = h.auth_deadlines.front().second;
    h.auth_deadlines.pop_front();
    Impl::Conn* c = h.Find(id);
    if (c && !c->authed() && !c->closing) h.CloseConn(*c, 4001, "not authenticated in time");
  }
  h.ExpireTyping(now);
  h.TickStreams(now);
  h.LogWriteFailures(now);
  if (now - h.last_sweep_ms >= 60000) {
    h.last_sweep_ms = now;
    h.SweepFiles(now);
  }
  // Token expiry and idle connections: a scan a second is plenty, or four per idle timeout
  // when that is shorter, so that a live connection is pinged before it would be closed.
  if (now - h.last_idle_scan_ms < std::min<int64_t>(1000, h.opt.idle_timeout_ms / 4)) return;
  h.last_idle_scan_ms = now;
  h.ExpireCalls(now);
  int64_t wall = h.clock.NowMs();
  for (auto& [id, c] : h.conns) {
    if (c.closing) continue;
    if (c.expires_ms && wall >= *c.expires_ms) {
      h.Error(c, nullptr, Status::Unauthenticated("token expired"));
      h.CloseConn(c, 4003, "token expired");
      continue;
    }
    int64_t silent = now - c.last_rx_ms;
    if (silent > h.opt.idle_timeout_ms) {
      h.CloseConn(c, 1000, "idle timeout");
    } else if (silent > h.opt.idle_timeout_ms / 2 &&
               now - c.last_ping_ms > h.opt.idle_timeout_ms / 4) {
      c.last_ping_ms = now;
      h.transport.Ping(id);
    }
  }
}

void Hub::Impl::LogWriteFailures(int64_t now) {
  uint64_t failed = storage.stats().failed_commits.load(std::memory_order_relaxed);
  if (failed == failed_commits_logged || now - last_failure_log_ms < 1000) return;
  std::string why = storage.WriteFailure();
  log("error", "storage: " + std::to_string(failed - failed_commits_logged) +
                   " commit(s) failed, their requests refused with unavailable" +
                   (why.empty() ? std::string(" (the last commit succeeded)") : ": " + why));
  failed_commits_logged = failed;
  last_failure_log_ms = now;
}

void Hub::BeginShutdown() { impl_->shutting_down = true; }

void Hub::CloseAll() {
  for (auto& [id, c] : impl_->conns) {
    if (!c.closing) impl_->CloseConn(c, 1001, "server shutting down");
  }
}

void Hub::OnHttp(HttpRequest request, HttpResponder respond) {
  impl_->Http(std::move(request), std::move(respond));
}

// ---------------------------------------------------------------------------------------------

Hub::Impl::Conn* Hub::Impl::Find(ConnId id) {
  auto it = conns.find(id);
  return it == conns.end() ? nullptr : &it->second;
}

void Hub::Impl::Receive(Conn& c, protocol::Decoded d, bool binary) {
  c.last_rx_ms = clock.MonotonicMs();
  metrics.frames_in++;
  bool is_typing = d.op_known && d.request.op == Op::kTyping;
  if (!TakeToken(c)) {
    // Typing is dropped quietly (an `ok` if it has an id: a request with an id gets one
    // reply); anything else is told when to come back.
    if (is_typing && d.status.ok()) {
      Reply(c, d.request);
    } else {
      Error(c, d.request.id, Status::RateLimited("too many requests"), {{"retry_ms", RetryMs(c)}});
    }
    Strike(c);
    return;
  }
  if (!d.status.ok()) {
    metrics.malformed++;
    Error(c, d.request.id, d.status);
    Strike(c);
    return;
  }
  if (shutting_down && d.request.op != Op::kPing) {
    // Stored now, it could be acknowledged after the 1001 close, or never: refused, the
    // client knows to send it again to the next server.
    Error(c, d.request.id, Status::Unavailable("server shutting down"));
    return;
  }
  metrics.requests[static_cast<size_t>(d.request.op)]++;
  if (!c.authed()) {
    if (d.request.op == Op::kAuth && !binary) {
      HandleAuth(c, d.request);
    } else {
      Error(c, d.request.id, Status::Unauthenticated("authenticate first"));
    }
    return;
  }
  if (binary) c.prefers_binary = true;  // answer this client's file.get with binary frames
  // The client has gone (Hub::OnClose): what it wanted to read can go to no one.
  if (c.gone && (ReadsStorage(d.request.op) || d.request.op == Op::kSearch)) return;
  bool wrote = false;
  if (ReadsStorage(d.request.op) && c.last_write > storage.WritesAnswered()) {
    DispatchAfterWrites(c, d.request);  // its no-op write is not one reads need to wait for
  } else {
    uint64_t writes_before = storage.WritesQueued();
    Dispatch(c, d.request);
    // The request queued a write: reads this connection sends next wait for it.
    wrote = storage.WritesQueued() != writes_before;
    if (wrote) c.last_write = storage.WritesQueued();
  }
  // Later requests may depend on what these change (a msg.send right after its room.join):
  // they wait until it is stored and applied. One that wrote nothing (a member joining
  // again, a refusal) was answered and applied already.
  Op op = d.request.op;
  if ((op == Op::kRoomCreate || op == Op::kRoomJoin || op == Op::kRoomLeave) && wrote &&
      c.handles_requests()) {
    HoldUntilStored(c);
  }
}

void Hub::Impl::Arrived(Conn& c, std::string_view frame, bool binary) {
  if (!c.held) {
    Receive(c,
            binary ? protocol::DecodeBinaryChunk(frame, opt.codec)
                   : protocol::DecodeRequest(frame, opt.codec),
            binary);
    return;
  }
  // What a connection may have waiting: enough for any client that pipelines, bounded
  // like everything else a client can make the server hold.
  constexpr size_t kMaxHeldFrames = 1024;
  Conn::Held& held = *c.held;
  c.last_rx_ms = clock.MonotonicMs();
  if (held.frames.size() >= kMaxHeldFrames || held.bytes + frame.size() > opt.send_queue_hard) {
    auto d = binary ? protocol::DecodeBinaryChunk(frame, opt.codec)
                    : protocol::DecodeRequest(frame, opt.codec);
    Error(c, d.request.id, Status::RateLimited("too many requests waiting for an earlier one"),
          {{"retry_ms", 100}});
    return;
  }
  held.bytes += frame.size();
  held.frames.emplace_back(binary, std::string(frame));
}

// Requests answered from the reader connection (or from files the writer records), which
// must see what this connection's earlier requests wrote.
bool Hub::Impl::ReadsStorage(Op op) {
  switch (op) {
    case Op::kHistory:
    case Op::kConvs:
    case Op::kSync:
    case Op::kFileGet:
    case Op::kMomentFeed:
      return true;
    default:
      return false;  // search queues a write of its own first (ReadSearch)
  }
}

// A read sent right behind a msg.send (or any write) of the same connection, before its ok:
// handled once that write is stored and answered, so it sees it. A no-op write queued now
// completes after every write queued before it.
void Hub::Impl::DispatchAfterWrites(Conn& c, const Request& req) {
  ConnId id = c.id;
  bool queued = AfterQueuedWrites([this, id, req] {
    Conn* conn = Find(id);
    if (conn && !conn->closing) Dispatch(*conn, req);
  });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

// The writer runs jobs in order and their completions come back in order, so a no-op write
// queued now completes after every write queued before it (its reply sent, its change
// applied).
bool Hub::Impl::AfterQueuedWrites(std::function<void()> fn) {
  return storage.Write<Done>([](storage::Store&) -> Result<Done> { return Done{}; },
                             [fn = std::move(fn)](Result<Done>) { fn(); });
}

void Hub::Impl::HoldUntilStored(Conn& c) {
  Hold(c);
  ConnId id = c.id;
  if (!AfterQueuedWrites([this, id] { ReleaseHeld(id); })) {
    // The request itself was refused as overloaded: nothing to wait for. Frames already
    // held (this is ReleaseHeld's loop) are handled next; with none, later frames must not
    // be held behind a wait that never ends.
    c.held->waiting = false;
    if (c.held->frames.empty()) c.held.reset();
  }
}

void Hub::Impl::Hold(Conn& c) {
  if (!c.held) c.held = std::make_unique<Conn::Held>();
  c.held->waiting = true;
}

void Hub::Impl::ReleaseHeld(ConnId id) {
  Conn* c = Find(id);
  if (!c || !c->held) return;
  c->held->waiting = false;
  // Receive may start another wait (a second room.join): the rest stays held behind it.
  while (c->held && !c->held->waiting && !c->held->frames.empty() && c->handles_requests()) {
    auto [binary, frame] = std::move(c->held->frames.front());
    c->held->frames.pop_front();
    c->held->bytes -= frame.size();
    Receive(*c,
            binary ? protocol::DecodeBinaryChunk(frame, opt.codec)
                   : protocol::DecodeRequest(frame, opt.codec),
            binary);
  }
  if (c->held && (c->closing || (!c->held->waiting && c->held->frames.empty()))) {
    if (c->gone && c->held->waiting) return;  // more frames wait behind another write
    c->held.reset();
  }
  if (c->gone) Forget(id);
}

void Hub::Impl::Send(Conn& c, const FramePtr& frame, const char* type) {
  if (c.closing) return;
  if (!HasRoom(c, frame->payload.size(), type)) return;
  metrics.frames_out++;
  metrics.bytes_out += frame->payload.size();
  metrics.events_out[type]++;
  transport.Send(c.id, frame, IsReply(type));
}

void Hub::Impl::SendRaw(Conn& c, std::string payload, const char* type) {
  Send(c, MakeFrame(std::move(payload)), type);
}

void Hub::Impl::Reply(Conn& c, const Request& req, Json fields) {
  if (!req.has_id()) return;
  SendRaw(c, protocol::EncodeOk(req.id, std::move(fields)), "ok");
}

void Hub::Impl::Error(Conn& c, const Json& id, const Status& status, const Json& extra) {
  metrics.errors[status.code_name()]++;
  SendRaw(c, protocol::EncodeError(id, status, extra), "error");
}

void Hub::Impl::CloseConn(Conn& c, int code, const std::string& reason) {
  if (c.closing) return;
  c.closing = true;
  transport.Close(c.id, code, reason);
}

Json Hub::Impl::Limits() const {
  return {{"max_frame_bytes", opt.max_frame_bytes},
          {"max_text_bytes", opt.codec.max_text_bytes},
          {"history_limit", 200},
          {"idle_timeout_ms", opt.idle_timeout_ms},
          {"max_file_bytes", opt.max_file_bytes}};
}

void Hub::Impl::Authenticate(Conn& c, const std::string& user, std::optional<int64_t> exp_s,
                             const Json& id) {
  if (state.SessionsOf(user).size() >= opt.max_sessions_per_user) {
    metrics.refused_connections++;
    Error(c, id,
          Status::Unavailable("too many sessions for " + user + " (" +
                              std::to_string(opt.max_sessions_per_user) + ")"));
    CloseConn(c, 1008, "too many connections for this user");
    return;
  }
  c.user = user;
  if (exp_s) c.expires_ms = (*exp_s + (opt.verifier ? opt.verifier->leeway_seconds() : 0)) * 1000;
  bool first = state.AddSession(user, c.id);
  state::User& u = state.GetUser(user);
  if (first) {
    u.status = "online";
    u.last_seen = clock.NowMs();
  }
  // Every login gets one, so it is written out directly rather than built as a Json object
  // and serialized (6 % of the CPU of the connection setup workload, perf).
  if (welcome_tail.empty()) {
    welcome_tail = Json{{"server", "slserver/" + opt.version}, {"limits", Limits()}}.dump();
    welcome_tail[0] = ',';
  }
  constexpr auto kReplace = Json::error_handler_t::replace;
  std::string w = R"({"type":"welcome","user":)";
  w += Json(user).dump(-1, ' ', false, kReplace);
  w += R"(,"session":")";
  w += crypto::RandomHex(8);
  w += '"';
  if (!id.is_null()) {
    w += R"(,"re":)";
    w += id.dump(-1, ' ', false, kReplace);
  }
  w += welcome_tail;
  SendRaw(c, std::move(w), "welcome");
  if (first) {
    PresenceChanged(user, c.id);
    DeliverPending(user);
  }
}

void Hub::Impl::HandleAuth(Conn& c, const Request& req) {
  const auto& a = req.as<protocol::Auth>();
  if (!a.token.empty()) {
    if (!opt.verifier) {
      Error(c, req.id,
            Status::Unauthenticated("this server runs open auth without a key: send 'user'"));
      return;
    }
    auto claims = opt.verifier->Verify(a.token, clock.NowMs());
    if (!claims.ok()) {
      Error(c, req.id, claims.status());
      CloseConn(c, 4003, claims.status().message());
      return;
    }
    Authenticate(c, claims->sub, claims->exp, req.id);
    return;
  }
  if (!opt.open_auth) {
    Error(c, req.id, Status::Unauthenticated("this server requires a token"));
    return;
  }
  Authenticate(c, a.user, std::nullopt, req.id);
}

void Hub::Impl::Dispatch(Conn& c, const Request& req) {
  switch (req.op) {
    case Op::kAuth:
      Error(c, req.id, Status::BadRequest("already authenticated"));
      return;
    case Op::kPing: {
      Json pong = Json::object();
      if (req.has_id()) pong["re"] = req.id;
      SendRaw(c, protocol::EncodeEvent("pong", std::move(pong)), "pong");
      return;
    }
    case Op::kRoomCreate:
      return RoomCreate(c, req);
    case Op::kRoomJoin:
      return RoomJoin(c, req);
    case Op::kRoomLeave:
      return RoomLeave(c, req);
    case Op::kRoomMembers:
      return RoomMembers(c, req);
    case Op::kRoomList:
      return RoomList(c, req);
    case Op::kMsgSend:
      return MsgSend(c, req);
    case Op::kMsgEdit:
      return MsgEdit(c, req);
    case Op::kMsgDelete:
      return MsgDelete(c, req);
    case Op::kMsgRead:
      return MsgRead(c, req);
    case Op::kMsgReact:
      return MsgReact(c, req);
    case Op::kHistory:
      return History(c, req);
    case Op::kConvs:
      return Convs(c, req);
    case Op::kSearch:
      return Search(c, req);
    case Op::kSync:
      return Sync(c, req);
    case Op::kPresenceSet:
      return PresenceSet(c, req);
    case Op::kPresenceGet:
      return PresenceGet(c, req);
    case Op::kTyping:
      return TypingReq(c, req);
    case Op::kSignal:
      return SignalReq(c, req);
    case Op::kFileBegin:
      return FileBegin(c, req);
    case Op::kFileChunk:
      return FileChunk(c, req);
    case Op::kFileEnd:
      return FileEnd(c, req);
    case Op::kFileGet:
      return FileGet(c, req);
    case Op::kFollow:
    case Op::kUnfollow:
      return FollowReq(c, req);
    case Op::kMomentPost:
      return MomentPost(c, req);
    case Op::kMomentEdit:
    case Op::kMomentDelete:
      return MomentChange(c, req);
    case Op::kMomentLike:
    case Op::kMomentComment:
      return MomentReact(c, req);
    case Op::kMomentFeed:
      return MomentFeed(c, req);
    case Op::kLiveStart:
    case Op::kLiveEnd:
    case Op::kLiveJoin:
    case Op::kLiveLeave:
    case Op::kLiveChat:
    case Op::kLiveReact:
      return LiveReq(c, req);
  }
}

void Hub::Impl::SendToUser(std::string_view user, const FramePtr& frame, const char* type,
                           ConnId except) {
  for (ConnId id : state.SessionsOf(user)) {
    if (id == except) continue;
    if (Conn* c = Find(id)) Send(*c, frame, type);
  }
}

void Hub::Impl::Broadcast(const ConvId& conv, const FramePtr& frame, const char* type,
                          ConnId except, int64_t seq, bool skip_user_of_except) {
  std::string except_user;
  if (skip_user_of_except) {
    if (Conn* e = Find(except)) except_user = e->user;
  }
  std::string conv_id;
  auto deliver = [&](const std::string& user) {
    if (!except_user.empty() && user == except_user) return;
    for (ConnId id : state.SessionsOf(user)) {
      if (id == except) continue;
      Conn* c = Find(id);
      if (!c) continue;
      if (seq > 0 && !c->catching_up.empty()) {
        if (conv_id.empty()) conv_id = conv.str();
        auto it = c->catching_up.find(conv_id);
        if (it != c->catching_up.end()) {
          if (it->second.pending.size() >= opt.max_catchup_pending) {
            SlowReader(*c, "too many live messages while catching up");
          } else {
            it->second.pending.emplace_back(seq, frame);
          }
          continue;
        }
      }
      Send(*c, frame, type);
    }
  };
  if (conv.is_room()) {
    state::Room* room = state.FindRoom(conv.room);
    if (!room) return;
    for (const auto& [user, role] : room->members) deliver(user);
  } else {
    deliver(conv.user_a);
    if (conv.user_b != conv.user_a) deliver(conv.user_b);
  }
}

}  // namespace smartlink::server

#pragma once

// The Hub's internals, shared by hub*.cc. Private to libcore.

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "smartlink/protocol/codec.h"
#include "smartlink/protocol/encode.h"
#include "smartlink/server/hub.h"
#include "smartlink/state/chat_state.h"
#include "smartlink/storage/worker.h"

namespace smartlink::server {

using protocol::ConvId;
using protocol::Json;
using protocol::Request;

// Counters for /metrics. Event-loop thread only.
struct HubMetrics {
  uint64_t connections_total = 0;
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t bytes_out = 0;
  std::array<uint64_t, protocol::kOpCount> requests{};
  std::map<std::string, uint64_t> errors;      // by code
  std::map<std::string, uint64_t> events_out;  // by event type, per recipient
  uint64_t messages_stored = 0;
  uint64_t malformed = 0;
};

struct Hub::Impl {
  // Live messages of a conversation held back while a session is caught up on it, so that
  // every session sees the conversation in seq order.
  struct CatchUp {
    std::vector<std::pair<int64_t, FramePtr>> pending;
    bool complete = true;
  };

  struct Conn {
    ConnId id = 0;
    std::string user;  // empty until authenticated
    std::string session;
    HandshakeInfo info;
    int64_t opened_ms = 0;
    int64_t last_rx_ms = 0;
    int64_t last_ping_ms = 0;
    std::optional<int64_t> expires_ms;  // token expiry
    bool closing = false;
    std::unordered_map<std::string, CatchUp> catching_up;
    bool authed() const { return !user.empty(); }
  };

  // A call between two users, kept from the offer until hangup (or until it rings out), so
  // that a second answer gets `conflict` and later signals reach the sessions in the call.
  struct Call {
    std::string caller, callee;
    ConnId caller_conn = 0;
    ConnId callee_conn = 0;  // the session that answered; 0 while ringing
    int64_t started_ms = 0;
  };

  Impl(HubOptions o, const Clock& c, storage::StorageWorker& s, Transport& t, LogFn l)
      : opt(std::move(o)), clock(c), storage(s), transport(t), log(std::move(l)) {}

  HubOptions opt;
  const Clock& clock;
  storage::StorageWorker& storage;
  Transport& transport;
  LogFn log;
  state::ChatState state;
  std::unordered_map<ConnId, Conn> conns;
  std::deque<std::pair<int64_t, ConnId>> auth_deadlines;  // (monotonic ms, conn), in order
  std::set<std::string> pending_rooms;                    // created, not yet committed
  int64_t started_ms = 0;
  int64_t last_idle_scan_ms = 0;
  HubMetrics metrics;
  // Typing indicators: (conv, user) -> when it lapses (monotonic ms) and when it was relayed.
  struct Typing {
    int64_t expires_ms = 0;
    int64_t relayed_ms = 0;
  };
  std::map<std::pair<std::string, std::string>, Typing> typing;
  std::unordered_map<std::string, Call> calls;  // by call_id

  // --- hub.cc: connections, sessions, dispatch, HTTP ---
  Conn* Find(ConnId id);
  void Send(Conn& c, const FramePtr& frame, const char* type);
  void SendRaw(Conn& c, std::string payload, const char* type);
  // `ok` reply when the request had an id.
  void Reply(Conn& c, const Request& req, Json fields = Json::object());
  void Error(Conn& c, const Json& id, const Status& status, const Json& extra = nullptr);
  void CloseConn(Conn& c, int code, const std::string& reason);
  void Authenticate(Conn& c, const std::string& user, std::optional<int64_t> exp_s, const Json& id);
  void HandleAuth(Conn& c, const Request& req);
  void Dispatch(Conn& c, const Request& req);
  Json Limits() const;

  // Sends to every session of `user` except `except`.
  void SendToUser(const std::string& user, const FramePtr& frame, const char* type,
                  ConnId except = 0);
  // Sends to every session of every member of `conv`; `seq` > 0 marks a `msg` event that
  // must respect catch-up ordering.
  void Broadcast(const ConvId& conv, const FramePtr& frame, const char* type, ConnId except = 0,
                 int64_t seq = 0, bool skip_user_of_except = false);

  // --- hub_rooms.cc ---
  // Resolves a room for a request by a member: NotFound / Forbidden otherwise.
  Status CheckMember(const ConvId& conv, const std::string& user);
  void RoomCreate(Conn& c, const Request& req);
  void RoomJoin(Conn& c, const Request& req);
  void RoomLeave(Conn& c, const Request& req);
  void RoomMembers(Conn& c, const Request& req);
  void RoomList(Conn& c, const Request& req);

  // --- hub_messages.cc ---
  void MsgSend(Conn& c, const Request& req);
  void MsgEdit(Conn& c, const Request& req);
  void MsgDelete(Conn& c, const Request& req);
  void MsgRead(Conn& c, const Request& req);
  void MsgReact(Conn& c, const Request& req);
  void History(Conn& c, const Request& req);
  void Convs(Conn& c, const Request& req);
  void Search(Conn& c, const Request& req);
  void Sync(Conn& c, const Request& req);
  // Sends the messages of `conv` after `since`, then caught_up.
  void StartCatchUp(Conn& c, const std::string& conv, int64_t since);
  void FetchCatchUp(ConnId id, const std::string& conv, int64_t after, int64_t upto);
  void FinishCatchUp(Conn& c, const std::string& conv, int64_t upto);

  // --- hub_signals.cc: presence, typing, call signaling ---
  void PresenceChanged(const std::string& user, ConnId except);
  void PresenceSet(Conn& c, const Request& req);
  void PresenceGet(Conn& c, const Request& req);
  void TypingReq(Conn& c, const Request& req);
  void StopTyping(const std::string& conv, const std::string& user);
  void ExpireTyping(int64_t now);
  void SignalReq(Conn& c, const Request& req);
  void EndCallsOf(Conn& c);
  void ExpireCalls(int64_t now);
  // A session ended: its user may have gone offline.
  void SessionEnded(Conn& c);

  // --- hub_http.cc ---
  void Http(HttpRequest request, HttpResponder respond);
  std::string MetricsText() const;
};

// Storage writes from the Hub carry no result beyond their status.
struct Done {};

}  // namespace smartlink::server

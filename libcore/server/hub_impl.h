#pragma once

// The Hub's internals, shared by hub*.cc. Private to libcore.

#include <array>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "smartlink/protocol/codec.h"
#include "smartlink/protocol/encode.h"
#include "smartlink/server/hub.h"
#include "smartlink/state/chat_state.h"
#include "smartlink/storage/worker.h"
#include "smartlink/util/crypto.h"

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
  uint64_t rate_limited = 0;
  uint64_t abuse_closed = 0;
  uint64_t slow_readers = 0;
  uint64_t refused_connections = 0;
  std::map<std::string, uint64_t> dropped;  // by event type, under send-queue pressure
};

struct Hub::Impl {
  // Live messages of a conversation held back while a session is caught up on it, so that
  // every session sees the conversation in seq order.
  struct CatchUp {
    std::vector<std::pair<int64_t, FramePtr>> pending;
    bool complete = true;
    // A catch-up asked for while this one runs (a second sync, a join with since): the
    // lowest position asked, served by a catch-up of its own after this one's caught_up.
    std::optional<int64_t> again;
  };

  struct Conn {
    ConnId id = 0;
    std::string user;  // empty until authenticated
    int64_t opened_ms = 0;
    int64_t last_rx_ms = 0;
    int64_t last_ping_ms = 0;
    std::optional<int64_t> expires_ms;  // token expiry
    bool closing = false;
    // The transport closed it while frames waited behind a room.create, join or leave
    // (Held): they are still handled (a msg.send sent just before the client hung up is
    // stored), their answers go nowhere, and the connection is forgotten after (Forget).
    bool gone = false;
    std::unordered_map<std::string, CatchUp> catching_up;
    // file.get streams in progress, sent as the socket drains.
    struct Download {
      std::string file_id;
      std::string path;
      int64_t size = 0;
      int64_t offset = 0;
      bool binary = false;
    };
    std::list<Download> downloads;  // not a deque: an empty deque allocates ~600 bytes
    bool pump_scheduled = false;
    bool prefers_binary = false;  // uploaded with binary frames: answer file.get in binary
    // Rate limit: a token bucket, and strikes for requests refused or malformed.
    double tokens = 0;
    int64_t tokens_ms = 0;
    int strikes = 0;
    int64_t strikes_since_ms = 0;
    int64_t over_since_ms = 0;  // when the send queue went past the bound (0: it is not)
    // Frames that came while a room.create, room.join or room.leave of this connection
    // waited for storage: handled in order once it is done, so that a client may send
    // `room.join` and `msg.send` back to back. Null while nothing waits (the usual case).
    struct Held {
      bool waiting = true;
      size_t bytes = 0;
      std::deque<std::pair<bool, std::string>> frames;  // (binary, frame)
    };
    std::unique_ptr<Held> held;
    // The number of the last storage write a request of this connection queued
    // (StorageWorker::WritesQueued): reads wait until it is answered.
    uint64_t last_write = 0;
    bool authed() const { return !user.empty(); }
    // Whether its requests are still handled: not being closed, or closed by the client
    // with requests held (`gone`).
    bool handles_requests() const { return !closing || gone; }
  };

  // An upload between file.begin and file.end. It belongs to the user, not the connection,
  // so it can be resumed after a reconnect.
  // A live stream: in memory only.
  struct Stream {
    std::string name, title, host;
    std::map<ConnId, std::string> viewers;  // viewer session -> user
    int64_t started_ms = 0;
    int64_t host_gone_ms = 0;  // when the host's last session ended; 0 while online
    bool count_dirty = false;
    int64_t last_count_ms = 0;
    size_t last_count_sent = 0;
  };

  struct Upload {
    std::string user, conv, name, mime;
    int64_t size = 0;
    int64_t received = 0;
    std::string tmp_path;
    int fd = -1;
    std::shared_ptr<crypto::Sha256Stream> sha;
    int64_t last_ms = 0;
  };

  // A call between two users, kept from the offer until hangup (or until it rings out), so
  // that the other side hears a hangup when a party's session goes away. Signals themselves
  // are relayed to all of the addressee's sessions whether or not a call is known.
  struct Call {
    std::string call_id, caller, callee;
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
  std::map<std::string, std::string> pending_rooms;       // created, not yet committed -> owner
  int64_t started_ms = 0;
  int64_t last_idle_scan_ms = 0;
  HubMetrics metrics;
  // Hub::BeginShutdown was called: requests are refused, so that every write queued
  // before it is acknowledged before the sessions close.
  bool shutting_down = false;
  // Failed commits already logged, and when (LogWriteFailures: at most one line a second).
  uint64_t failed_commits_logged = 0;
  int64_t last_failure_log_ms = 0;
  void LogWriteFailures(int64_t now);
  // Typing indicators: (conv, user) -> when it lapses (monotonic ms) and when it was relayed.
  struct Typing {
    int64_t expires_ms = 0;
    int64_t relayed_ms = 0;
  };
  std::map<std::pair<std::string, std::string>, Typing> typing;
  std::unordered_map<std::string, Call> calls;      // by call_id and the two users
  std::unordered_map<std::string, Upload> uploads;  // by file_id
  int64_t files_stored = 0;
  std::unordered_map<std::string, Stream> streams;
  std::unordered_map<std::string, int64_t> notified_upto;  // last notification id sent
  // Users who may have stored notifications not yet delivered: a session's start queries
  // storage only for them (most sessions start with none to deliver).
  std::unordered_set<std::string> pending_users;
  std::unordered_map<std::string, std::set<std::string>> followers;  // followee -> followers
  std::unordered_map<std::string, size_t> following;                 // follower -> count
  int64_t last_sweep_ms = 0;

  // --- hub_limits.cc: rate limits, send-queue bounds ---
  // Takes a token from the connection's bucket; false when it is empty.
  bool TakeToken(Conn& c);
  int64_t RetryMs(const Conn& c) const;
  // Counts a refused or malformed request; repeated abuse closes with 4029.
  void Strike(Conn& c);
  // Whether `bytes` more may be queued to `c`: droppable signals go first when the queue
  // is long; past the hard bound the reader is too slow and is closed with 4008.
  bool HasRoom(Conn& c, size_t bytes, const char* type);
  void SlowReader(Conn& c, const std::string& why);
  // Logs that `c` is being closed and why, naming its address and user.
  void LogClosing(const char* level, const Conn& c, const std::string& why);
  // Closes `c` if its send queue has stayed past the bound too long (from OnTick).
  void CheckBacklog(Conn& c, int64_t now);

  // --- hub.cc: connections, sessions, dispatch, HTTP ---
  void Receive(Conn& c, protocol::Decoded d, bool binary);
  // A frame from the transport: handled now, or held behind a request still in storage.
  void Arrived(Conn& c, std::string_view frame, bool binary);
  void HoldUntilStored(Conn& c);
  // Holds the connection's next frames until ReleaseHeld (which handles them).
  void Hold(Conn& c);
  void ReleaseHeld(ConnId id);
  // Ends the connection's session and drops it (the transport has closed it).
  void Forget(ConnId id);
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
  static bool ReadsStorage(protocol::Op op);
  void DispatchAfterWrites(Conn& c, const Request& req);
  // Runs `fn` on the loop once every storage write queued so far is answered; false when
  // the storage queue is full.
  bool AfterQueuedWrites(std::function<void()> fn);
  Json Limits() const;
  // The welcome's fields that are the same for every login ("server" and "limits"),
  // serialized once: `,"server":...,"limits":{...}}`.
  std::string welcome_tail;

  // Sends to every session of `user` except `except`.
  void SendToUser(std::string_view user, const FramePtr& frame, const char* type,
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
  // The outcome of an operation: the fields of its `ok`, or an error. Shared by the
  // WebSocket handlers (ReplyTo) and the HTTP API.
  using Completion = std::function<void(Result<Json>)>;
  // Runs inside the message's transaction before it is appended (attach a file, ...).
  using PreWrite = std::function<Status(storage::Store&, storage::NewMessage&)>;
  Completion ReplyTo(ConnId id, const Request& req);
  Status CheckSend(const std::string& user, const ConvId& conv,
                   const std::optional<int64_t>& reply_to);
  storage::NewMessage NewMessageFor(const std::string& from, const ConvId& conv,
                                    const std::string& text);
  // Stores the message, answers `done`, then delivers it to every member's sessions.
  void PostMessage(storage::NewMessage nm, const ConvId& conv, PreWrite before, Completion done);
  // Applies a write, replies to the request, then broadcasts `type` with `event`.
  void WriteThenBroadcast(ConnId id, const Request& req, const ConvId& conv,
                          std::function<Status(storage::Store&)> apply, const char* type,
                          Json event);
  void MarkRead(const std::string& user, const ConvId& conv, int64_t seq, Completion done);
  void ReadHistory(const std::string& user, const protocol::History& h, Completion done);
  void ReadConvs(const std::string& user, Completion done);
  void ReadSearch(const std::string& user, const protocol::Search& q, Completion done);
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
  void NextCatchUpPage(ConnId id, const std::string& conv, int64_t after, int64_t upto);
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

  // --- hub_files.cc ---
  std::string FilesDir() const { return opt.data_dir + "/files"; }
  std::string ContentPath(const std::string& sha256_hex) const;
  bool MimeAllowed(const std::string& mime) const;
  Status PrepareFileDirs();
  void FileBegin(Conn& c, const Request& req);
  void FileChunk(Conn& c, const Request& req);
  void FileEnd(Conn& c, const Request& req);
  void FileGet(Conn& c, const Request& req);
  void PumpDownloads(ConnId id);
  void DropUpload(const std::string& file_id);
  void SweepFiles(int64_t now);
  // GET /files/<id>
  void HttpFile(const std::string& user, const std::string& file_id, HttpResponder respond);
  // Whether `user` may read the file: a member of its conversation, or someone who sees a
  // moment it is attached to (the author and their followers). Calls `then` on the hub
  // thread with ok, forbidden, or unavailable when storage is overloaded.
  void MayReadFile(const std::string& user, const storage::FileRecord& rec,
                   std::function<void(Status)> then);
  // Answers GET /files/ID with the file's content, or 404 once it has expired.
  void SendFileBody(const storage::FileRecord& rec, std::shared_ptr<HttpResponder> shared,
                    std::function<void(int, const Status&)> error);

  // --- hub_notify.cc: notifications ---
  // Stores a notification and delivers it now (user online) or at their next session.
  void Notify(const std::string& user, const std::string& kind, const std::string& title,
              const std::string& body, Json data, Completion done = nullptr);
  void NotifyMentions(const protocol::Message& msg, const ConvId& conv);
  void DeliverPending(const std::string& user);
  void SendNotification(const storage::NotificationRecord& n);

  // --- hub_moments.cc ---
  // Sends to the author's sessions and every follower's.
  void ToFollowers(const std::string& author, const FramePtr& frame, const char* type);
  void FollowReq(Conn& c, const Request& req);  // follow and unfollow
  void MomentPost(Conn& c, const Request& req);
  void MomentChange(Conn& c, const Request& req);  // edit and delete
  void MomentReact(Conn& c, const Request& req);   // like and comment
  void MomentFeed(Conn& c, const Request& req);

  // --- hub_live.cc ---
  size_t ViewerCount(const Stream& s) const;
  void ToStream(const Stream& s, const FramePtr& frame, const char* type);
  void EndStream(const std::string& name, const std::string& why);
  void LiveReq(Conn& c, const Request& req);
  void TickStreams(int64_t now);
  void LeaveStreams(ConnId id);

  // --- hub_api.cc: the REST API under /api/v1/ ---
  struct HttpCaller {
    std::string user;  // empty for the admin
    bool admin = false;
  };
  Result<HttpCaller> HttpAuth(const HttpRequest& req) const;
  void Api(const HttpRequest& req, HttpResponder respond);

  // --- hub_http.cc ---
  bool OriginAllowed(const std::string& origin) const;
  void Http(HttpRequest request, HttpResponder respond);
  std::string MetricsText() const;
};

// Storage writes from the Hub carry no result beyond their status.
struct Done {};

// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence ("…" marks the cut).
inline std::string TruncateUtf8(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "\u2026";
}

// The HTTP status for an error code.
int HttpStatusFor(Code code);

}  // namespace smartlink::server

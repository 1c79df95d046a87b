#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "smartlink/protocol/codec.h"
#include "smartlink/server/transport.h"
#include "smartlink/storage/store.h"
#include "smartlink/util/clock.h"

namespace smartlink::auth {
class JwtVerifier;
}
namespace smartlink::storage {
class StorageWorker;
}

namespace smartlink::server {

// Everything the Hub needs to know about the server's configuration.
struct HubOptions {
  std::string version;
  bool open_auth = true;
  const auth::JwtVerifier* verifier = nullptr;  // required unless open_auth; not owned
  protocol::CodecLimits codec;
  int64_t auth_timeout_ms = 10000;
  int64_t idle_timeout_ms = 120000;
  size_t max_frame_bytes = 1 << 20;
  int catchup_page = 500;  // messages per storage read while catching a session up

  // Files.
  std::string data_dir;                        // files live in data_dir/files
  int64_t max_file_bytes = 100ll << 20;        // file.begin size limit
  size_t chunk_size = 256 << 10;               // file.chunk / file.data payload
  std::vector<std::string> file_types;         // allowed MIME types ("image/*"); empty: any
  int64_t file_ttl_ms = 30ll * 86400 * 1000;   // 0: files never expire
  int64_t upload_timeout_ms = 10 * 60 * 1000;  // an idle upload is abandoned
  size_t max_uploads_per_user = 4;

  // Live streams: a stream ends when its host has been gone this long.
  int64_t live_grace_ms = 30000;
  // Calls: an offer nobody answers ends (both sides get a hangup) after this long.
  int64_t ring_timeout_ms = 60000;

  // Limits on what one client can make the server do or hold.
  double rate_per_sec = 50;            // requests per second per connection (0: no limit)
  double rate_burst = 200;             // bucket size
  int abuse_strikes = 100;             // refused or malformed requests in 10 s before 4029
  size_t max_connections = 10000;      // in all (HTTP 503 past it)
  size_t max_sessions_per_user = 16;   // close 1008 past it
  size_t send_queue_soft = 256 << 10;  // typing and presence are dropped past this
  // A reader whose queue stays past this for a second (or goes 8 times past it at once) is
  // closed with 4008. Broadcast frames are shared, so queued bytes are mostly not copies.
  size_t send_queue_hard = 8 << 20;
  size_t max_catchup_pending = 10000;  // live messages held while catching a session up
  size_t max_rooms_per_user = 1000;    // rooms a user may own
  size_t max_follows_per_user = 5000;
  size_t max_streams_per_user = 2;

  // HTTP and handshakes.
  std::vector<std::string> allowed_origins;  // empty: any origin
  std::string admin_key;                     // for the application's backend; empty: none

  // The SQLite writer's checkpoint counters, shown in /metrics (null: not shown).
  const storage::CheckpointStats* checkpoint_stats = nullptr;
};

// Log sink: level ("info", "warn", "error", "debug") and a line.
using LogFn = std::function<void(const char* level, const std::string& line)>;

// Hub is SmartLink's chat logic: sessions, rooms, messages and their delivery. The network
// layer feeds it connection events and HTTP requests; it answers through Transport and keeps
// durable state through StorageWorker, whose completions must be posted to the same loop.
// Not thread-safe: every call happens on the server's event-loop thread.
class Hub {
 public:
  Hub(HubOptions options, const Clock& clock, storage::StorageWorker& storage, Transport& transport,
      LogFn log);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Loads rooms, members and positions from storage (blocking; call before accepting).
  Status Load();  // through StorageWorker::Call

  // Whether a browser handshake from `origin` may proceed (HTTP 403 otherwise).
  bool AcceptOrigin(const std::string& origin) const;
  // Whether another connection fits under the cap (HTTP 503 otherwise).
  bool AcceptConnection();

  void OnOpen(ConnId conn, HandshakeInfo info);
  void OnText(ConnId conn, std::string_view text);
  void OnBinary(ConnId conn, std::string_view data);
  void OnPong(ConnId conn);
  void OnClose(ConnId conn);
  void OnHttp(HttpRequest request, HttpResponder respond);
  // Timers: call every 100-250 ms.
  void OnTick();
  // The server is going away: from now on every request but ping is refused with
  // `unavailable`, so nothing is stored that could not be acknowledged before CloseAll.
  void BeginShutdown();
  // Closes every session with 1001 (the server is going away).
  void CloseAll();

  size_t connections() const;
  size_t sessions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smartlink::server

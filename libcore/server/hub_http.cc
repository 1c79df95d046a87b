// The HTTP side of the port: /health and /metrics.

#include <algorithm>
#include <cctype>
#include <memory>
#include <sstream>

#include "hub_impl.h"

namespace smartlink::server {

namespace {

HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  r.body += '\n';
  return r;
}

HttpResponse ErrorResponse(int status, const Status& s) {
  return JsonResponse(status, {{"error", s.code_name()}, {"message", s.message()}});
}

}  // namespace

bool Hub::Impl::OriginAllowed(const std::string& origin) const {
  if (origin.empty() || opt.allowed_origins.empty()) return true;
  for (const std::string& o : opt.allowed_origins) {
    if (o == "*") return true;
    if (o.size() == origin.size() &&
        std::equal(o.begin(), o.end(), origin.begin(), [](char a, char b) {
          return tolower(static_cast<unsigned char>(a)) == tolower(static_cast<unsigned char>(b));
        })) {
      return true;
    }
  }
  return false;
}

void Hub::Impl::Http(HttpRequest req, HttpResponder respond) {
  bool api = req.path.rfind("/api/v1/", 0) == 0;
  bool files = req.path.rfind("/files/", 0) == 0;
  std::string origin = req.Header("origin");
  if ((api || files) && !origin.empty()) {
    // CORS: browsers on allowed origins may call the API with a bearer token.
    bool allowed = OriginAllowed(origin);
    if (req.method == "OPTIONS") {
      HttpResponse r;
      r.status = allowed ? 204 : 403;
      r.content_type = "text/plain";
      if (allowed) {
        r.headers = {{"Access-Control-Allow-Origin", origin},
                     {"Vary", "Origin"},
                     {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
                     {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
                     {"Access-Control-Max-Age", "600"}};
      }
      respond(std::move(r));
      return;
    }
    if (allowed) {
      respond = [respond, origin](HttpResponse r) {
        r.headers.emplace_back("Access-Control-Allow-Origin", origin);
        r.headers.emplace_back("Vary", "Origin");
        respond(std::move(r));
      };
    }
  }
  if (api) {
    Api(req, std::move(respond));
    return;
  }
  auto wrong_method = [&respond] {
    HttpResponse r = ErrorResponse(405, Status::BadRequest("use GET or HEAD"));
    r.headers.emplace_back("Allow", "GET, HEAD");
    respond(std::move(r));
  };
  if (files) {
    if (req.method != "GET" && req.method != "HEAD") return wrong_method();
    auto caller = HttpAuth(req);
    if (!caller.ok() || caller->admin) {
      HttpResponse r = ErrorResponse(
          401, caller.ok() ? Status::Unauthenticated("send a user's token") : caller.status());
      r.headers.emplace_back("WWW-Authenticate", "Bearer");  // as the API's 401s
      respond(std::move(r));
      return;
    }
    std::string file_id = req.path.substr(7);
    bool valid = !file_id.empty() && file_id.size() <= 64 &&
                 std::all_of(file_id.begin(), file_id.end(), [](char ch) {
                   return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
                 });
    if (!valid) {
      respond(ErrorResponse(404, Status::NotFound("no such file")));
      return;
    }
    HttpFile(caller->user, file_id, std::move(respond));
    return;
  }
  if (req.path == "/health") {
    if (req.method != "GET" && req.method != "HEAD") return wrong_method();
    Json body = {{"status", "ok"},
                 {"version", opt.version},
                 {"uptime_s", (clock.MonotonicMs() - started_ms) / 1000},
                 {"connections", conns.size()},
                 {"users_online", state.online_users()}};
    // Storage is probed with a real query on the reader connection.
    auto shared = std::make_shared<HttpResponder>(std::move(respond));
    bool queued = storage.Read<bool>(
        [](storage::Store& s) -> Result<bool> {
          if (Status st = s.Ping(); !st.ok()) return st;
          return true;
        },
        [this, shared, body](Result<bool> res) mutable {
          // Reads can work while every write fails (a full disk, a lock held elsewhere).
          std::string failing = storage.WriteFailure();
          if (res.ok() && !failing.empty()) res = Status::Unavailable("writes failing: " + failing);
          body["storage"] = res.ok() ? "ok" : res.status().message();
          if (!res.ok()) body["status"] = "degraded";
          (*shared)(JsonResponse(res.ok() ? 200 : 503, body));
        });
    if (!queued) {
      body["storage"] = "overloaded";
      body["status"] = "degraded";
      (*shared)(JsonResponse(503, body));
    }
    return;
  }
  if (req.path == "/metrics") {
    if (req.method != "GET" && req.method != "HEAD") return wrong_method();
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = MetricsText();
    respond(std::move(r));
    return;
  }
  respond(ErrorResponse(404, Status::NotFound("no such path: " + req.path.substr(0, 100))));
}

std::string Hub::Impl::MetricsText() const {
  std::ostringstream o;
  auto gauge = [&](const char* name, const char* help, double v) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " gauge\n"
      << name << ' ' << v << '\n';
  };
  auto counter = [&](const char* name, const char* help, double v) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n"
      << name << ' ' << v << '\n';
  };
  size_t sessions = 0;
  for (const auto& [id, c] : conns) sessions += c.authed() ? 1 : 0;
  gauge("smartlink_connections", "Open WebSocket connections.", static_cast<double>(conns.size()));
  gauge("smartlink_sessions", "Authenticated sessions.", static_cast<double>(sessions));
  gauge("smartlink_users_online", "Users with at least one session.",
        static_cast<double>(state.online_users()));
  gauge("smartlink_users_known", "Users whose presence is kept: online, or in a conversation.",
        static_cast<double>(state.known_users()));
  gauge("smartlink_rooms", "Rooms.", static_cast<double>(state.rooms().size()));
  counter("smartlink_connections_total", "Connections accepted.",
          static_cast<double>(metrics.connections_total));
  counter("smartlink_frames_in_total", "Frames received.", static_cast<double>(metrics.frames_in));
  counter("smartlink_frames_out_total", "Frames sent.", static_cast<double>(metrics.frames_out));
  counter("smartlink_bytes_out_total", "Payload bytes sent.",
          static_cast<double>(metrics.bytes_out));
  counter("smartlink_messages_stored_total", "Chat messages stored.",
          static_cast<double>(metrics.messages_stored));
  counter("smartlink_malformed_total", "Frames that did not decode.",
          static_cast<double>(metrics.malformed));
  counter("smartlink_rate_limited_total", "Requests refused by the rate limit.",
          static_cast<double>(metrics.rate_limited));
  counter("smartlink_abuse_closed_total", "Connections closed for repeated abuse (4029).",
          static_cast<double>(metrics.abuse_closed));
  counter("smartlink_slow_readers_total", "Connections closed as slow readers (4008).",
          static_cast<double>(metrics.slow_readers));
  counter("smartlink_refused_connections_total", "Connections refused over the connection caps.",
          static_cast<double>(metrics.refused_connections));
  o << "# HELP smartlink_dropped_total Signals dropped under send-queue pressure, by type.\n"
       "# TYPE smartlink_dropped_total counter\n";
  for (const auto& [type, n] : metrics.dropped) {
    o << "smartlink_dropped_total{type=\"" << type << "\"} " << n << '\n';
  }

  o << "# HELP smartlink_requests_total Requests received, by type.\n"
       "# TYPE smartlink_requests_total counter\n";
  for (int i = 0; i < protocol::kOpCount; ++i) {
    if (metrics.requests[i] == 0) continue;
    o << "smartlink_requests_total{type=\"" << protocol::OpName(static_cast<protocol::Op>(i))
      << "\"} " << metrics.requests[i] << '\n';
  }
  o << "# HELP smartlink_events_out_total Frames sent, by type.\n"
       "# TYPE smartlink_events_out_total counter\n";
  for (const auto& [type, n] : metrics.events_out) {
    o << "smartlink_events_out_total{type=\"" << type << "\"} " << n << '\n';
  }
  o << "# HELP smartlink_errors_total Error replies, by code.\n"
       "# TYPE smartlink_errors_total counter\n";
  for (const auto& [code, n] : metrics.errors) {
    o << "smartlink_errors_total{code=\"" << code << "\"} " << n << '\n';
  }

  size_t queued_bytes = 0;
  for (const auto& [id, c] : conns) queued_bytes += transport.BufferedBytes(id);
  gauge("smartlink_send_queue_bytes", "Bytes queued to clients and not yet written.",
        static_cast<double>(queued_bytes));
  gauge("smartlink_files_stored", "Files stored.", static_cast<double>(files_stored));
  gauge("smartlink_uploads", "Uploads in progress.", static_cast<double>(uploads.size()));
  gauge("smartlink_live_streams", "Live streams.", static_cast<double>(streams.size()));
  gauge("smartlink_calls", "Calls ringing or in progress.", static_cast<double>(calls.size()));

  const auto& st = storage.stats();
  gauge("smartlink_storage_queue", "Storage jobs waiting.", static_cast<double>(st.queue_depth));
  counter("smartlink_storage_commits_total", "Storage transactions committed.",
          static_cast<double>(st.commits));
  counter("smartlink_storage_failed_commits_total", "Storage transactions that failed.",
          static_cast<double>(st.failed_commits));
  counter("smartlink_storage_writes_total", "Writes committed.", static_cast<double>(st.writes));
  counter("smartlink_storage_index_steps_total",
          "Transactions that added stored messages to the full-text index.",
          static_cast<double>(st.index_steps));
  counter("smartlink_storage_index_merge_steps_total",
          "Transactions that merged full-text index segments.",
          static_cast<double>(st.merge_steps));
  counter("smartlink_storage_failed_index_steps_total",
          "Full-text index and merge transactions that failed (retried after the next commit).",
          static_cast<double>(st.failed_index_steps));
  if (const storage::CheckpointStats* ck = opt.checkpoint_stats) {
    counter("smartlink_storage_checkpoints_total",
            "WAL checkpoints run by the checkpoint thread, outside any commit.",
            static_cast<double>(ck->background));
    counter("smartlink_storage_checkpoints_in_commit_total",
            "WAL checkpoints run inside a commit (what is left, so that the WAL starts over).",
            static_cast<double>(ck->in_commit));
    counter("smartlink_storage_failed_checkpoints_total", "WAL checkpoints that failed.",
            static_cast<double>(ck->failed));
    gauge("smartlink_storage_wal_frames",
          "Pages in the SQLite WAL at the last commit (it starts over past --wal-restart).",
          static_cast<double>(ck->wal_frames));
  }
  o << "# HELP smartlink_storage_commit_seconds Commit latency.\n"
       "# TYPE smartlink_storage_commit_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < storage::StorageWorker::Stats::kBuckets; ++i) {
    cumulative += st.commit_hist[i];
    o << "smartlink_storage_commit_seconds_bucket{le=\""
      << storage::StorageWorker::Stats::kBucketsMs[i] / 1000 << "\"} " << cumulative << '\n';
  }
  cumulative += st.commit_hist[storage::StorageWorker::Stats::kBuckets];
  o << "smartlink_storage_commit_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n';
  o << "smartlink_storage_commit_seconds_sum " << static_cast<double>(st.commit_us_total) / 1e6
    << '\n';
  o << "smartlink_storage_commit_seconds_count " << cumulative << '\n';
  return o.str();
}

}  // namespace smartlink::server

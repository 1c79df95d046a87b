// The HTTP side of the port: /health and /metrics.

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

void Hub::Impl::Http(HttpRequest req, HttpResponder respond) {
  if (req.path == "/health") {
    if (req.method != "GET" && req.method != "HEAD") {
      respond(ErrorResponse(405, Status::BadRequest("use GET")));
      return;
    }
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
        [shared, body](Result<bool> res) mutable {
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

  const auto& st = storage.stats();
  gauge("smartlink_storage_queue", "Storage jobs waiting.", static_cast<double>(st.queue_depth));
  counter("smartlink_storage_commits_total", "Storage transactions committed.",
          static_cast<double>(st.commits));
  counter("smartlink_storage_failed_commits_total", "Storage transactions that failed.",
          static_cast<double>(st.failed_commits));
  counter("smartlink_storage_writes_total", "Writes committed.", static_cast<double>(st.writes));
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

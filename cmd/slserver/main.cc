// slserver: the SmartLink chat server.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "options.h"
#include "smartlink/auth/jwt.h"
#include "smartlink/net/ws_server.h"
#include "smartlink/server/hub.h"
#include "smartlink/storage/worker.h"
#include "smartlink/util/clock.h"
#include "smartlink/util/duration.h"
#include "smartlink/version.h"

namespace slserver {
namespace {

using smartlink::Result;
using smartlink::Status;

int LevelRank(const std::string& level) {
  if (level == "debug") return 0;
  if (level == "info") return 1;
  if (level == "warn") return 2;
  return 3;
}

smartlink::server::LogFn MakeLogger(const std::string& min_level) {
  int min = LevelRank(min_level);
  return [min](const char* level, const std::string& line) {
    if (LevelRank(level) < min) return;
    int64_t ms = smartlink::SystemClock::Get().NowMs();
    time_t secs = static_cast<time_t>(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03dZ slserver: %s: %s\n", ts, static_cast<int>(ms % 1000), level,
            line.c_str());
  };
}

int Fail(const std::string& message) {
  fprintf(stderr, "slserver: error: %s\n", message.c_str());
  return 1;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path + ": " + strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The HS256 secret from --jwt-secret or --jwt-secret-file (one trailing newline dropped).
Result<std::string> LoadSecret(const Options& o) {
  if (!o.jwt_secret.empty() && !o.jwt_secret_file.empty()) {
    return Status::BadRequest("give --jwt-secret or --jwt-secret-file, not both");
  }
  if (!o.jwt_secret_file.empty()) {
    auto s = ReadFile(o.jwt_secret_file);
    if (!s.ok()) return s.status();
    std::string v = *s;
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    return v;
  }
  return o.jwt_secret;
}

bool ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  std::string p = listen.substr(colon + 1);
  if (host->empty() || p.empty() || p.size() > 5) return false;
  if (*host == "localhost") *host = "127.0.0.1";  // what a user means by it; not resolved
  unsigned long v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned long>(c - '0');
  }
  if (v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.rfind("127.", 0) == 0;
}

Status MakeDirs(const std::string& dir) {
  std::string path;
  std::stringstream ss(dir);
  std::string part;
  if (!dir.empty() && dir[0] == '/') path = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    path += part + "/";
    if (mkdir(path.c_str(), 0750) != 0 && errno != EEXIST) {
      return Status::Unavailable("cannot create " + path + ": " + strerror(errno));
    }
  }
  return Status::Ok();
}

// Writes `text` to `path` atomically (a reader never sees half of it).
Status WriteFileAtomic(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Status::Unavailable("cannot write " + tmp + ": " + strerror(errno));
    out << text << '\n';
    if (!out.flush()) return Status::Unavailable("cannot write " + tmp);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Unavailable("cannot rename " + tmp + ": " + strerror(errno));
  }
  return Status::Ok();
}

int Token(const Options& o) {
  auto secret = LoadSecret(o);
  if (!secret.ok()) return Fail(secret.status().message());
  if (secret->size() < smartlink::auth::kMinSecretBytes) {
    return Fail("token needs --jwt-secret or --jwt-secret-file of at least 32 bytes");
  }
  if (!smartlink::protocol::IsValidUserId(o.token_user)) {
    return Fail("--user must be 1-64 characters of A-Z a-z 0-9 _ . -");
  }
  if (smartlink::protocol::IsReservedUserId(o.token_user)) {
    return Fail("--user system is reserved for the server's own messages");
  }
  auto ttl = smartlink::ParseDurationMs(o.token_ttl);
  if (!ttl || *ttl < 1000) return Fail("--ttl must be a duration such as 30m, 1h or 7d");
  int64_t now = smartlink::SystemClock::Get().NowMs() / 1000;
  printf("%s\n", smartlink::auth::MintToken(*secret, o.token_user, now, *ttl / 1000).c_str());
  return 0;
}

int Serve(Options o) {
  auto log = MakeLogger(o.log_level);
  // A write past a file-size limit fails with EFBIG (answered as unavailable) instead of
  // killing the server; a peer that vanished mid-write is an error code, not a signal.
  signal(SIGXFSZ, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  const smartlink::Clock& clock = smartlink::SystemClock::Get();

  // Listening address; PORT (as platforms set it) applies when --listen is left alone.
  if (const char* port_env = getenv("PORT");
      port_env && *port_env && o.listen == "0.0.0.0:8080" && !getenv("SL_LISTEN")) {
    o.listen = std::string("0.0.0.0:") + port_env;
  }
  smartlink::net::ServerOptions net;
  if (!ParseListen(o.listen, &net.host, &net.port)) {
    return Fail("--listen must be HOST:PORT, not '" + o.listen + "'");
  }

  // Authentication.
  auto secret = LoadSecret(o);
  if (!secret.ok()) return Fail(secret.status().message());
  if (!secret->empty() && !o.jwt_public_key.empty()) {
    return Fail("give an HS256 secret or a public key, not both");
  }
  bool have_key = !secret->empty() || !o.jwt_public_key.empty();
  if (o.auth.empty()) o.auth = have_key ? "jwt" : "none";
  std::unique_ptr<smartlink::auth::JwtVerifier> verifier;
  if (!secret->empty()) {
    auto v = smartlink::auth::JwtVerifier::FromSecret(*secret);
    if (!v.ok()) return Fail(v.status().message());
    verifier = std::move(*v);
  } else if (!o.jwt_public_key.empty()) {
    auto pem = ReadFile(o.jwt_public_key);
    if (!pem.ok()) return Fail(pem.status().message());
    auto v = smartlink::auth::JwtVerifier::FromPublicKeyPem(*pem);
    if (!v.ok()) return Fail(o.jwt_public_key + ": " + v.status().message());
    verifier = std::move(*v);
  }
  auto leeway = smartlink::ParseDurationMs(o.jwt_leeway);
  if (!leeway || *leeway > 300000) return Fail("--jwt-leeway must be a duration up to 5m");
  if (verifier) {
    verifier->set_leeway_seconds(*leeway / 1000);
    verifier->set_require_exp(!o.jwt_allow_no_exp);
  }
  if (o.auth == "jwt" && !verifier) {
    return Fail("--auth jwt needs --jwt-secret, --jwt-secret-file or --jwt-public-key");
  }

  // Limits.
  auto max_frame = smartlink::ParseBytes(o.max_frame);
  auto max_text = smartlink::ParseBytes(o.max_text);
  auto auth_timeout = smartlink::ParseDurationMs(o.auth_timeout);
  auto idle_timeout = smartlink::ParseDurationMs(o.idle_timeout);
  if (!max_frame || *max_frame < 1024) return Fail("--max-frame must be a size of 1KiB or more");
  if (!max_text || *max_text < 1 || *max_text >= *max_frame) {
    return Fail("--max-text must be a size smaller than --max-frame");
  }
  if (!auth_timeout || *auth_timeout < 100) return Fail("--auth-timeout must be a duration");
  if (!idle_timeout || *idle_timeout < 1000) return Fail("--idle-timeout must be 1s or more");
  // auto: pace commits only where each one costs an fsync.
  auto commit_interval = o.commit_interval == "auto"
                             ? std::optional<int64_t>(o.sync == "full" ? 2 : 0)
                             : smartlink::ParseDurationMs(o.commit_interval, 1);
  if (!commit_interval || *commit_interval < 0 || *commit_interval > 1000) {
    return Fail("--commit-interval must be auto or a duration from 0 to 1s, such as 2ms");
  }
  auto coalesce = smartlink::ParseDurationMs(o.coalesce, 1);
  if (!coalesce || *coalesce < 0 || *coalesce > 1000) {
    return Fail("--coalesce must be a duration from 0 to 1s, such as 5ms");
  }
  // In pages of SQLite's default size; from a quarter of the checkpoint threshold of 1,000
  // pages up, to SqliteOptions' limit.
  constexpr int64_t kPageBytes = 4096;
  auto wal_restart = smartlink::ParseBytes(o.wal_restart);
  if (!wal_restart || *wal_restart < 1024 * 1024 || *wal_restart > (int64_t{64} << 30)) {
    return Fail("--wal-restart must be a size from 1MiB to 64GiB, such as 128MiB");
  }
  auto max_file = smartlink::ParseBytes(o.max_file);
  auto file_ttl = smartlink::ParseDurationMs(o.file_ttl);
  if (!max_file) return Fail("--max-file must be a size such as 100MiB");
  if (!file_ttl) return Fail("--file-ttl must be a duration such as 30d (0: never)");
  auto max_send_queue = smartlink::ParseBytes(o.max_send_queue);
  auto handshake_timeout = smartlink::ParseDurationMs(o.handshake_timeout);
  if (!max_send_queue || *max_send_queue < 64 * 1024) {
    return Fail("--max-send-queue must be a size of 64KiB or more");
  }
  if (!handshake_timeout || *handshake_timeout < 100) {
    return Fail("--handshake-timeout must be a duration");
  }
  auto live_grace = smartlink::ParseDurationMs(o.live_grace);
  if (!live_grace) return Fail("--live-grace must be a duration such as 30s");
  auto ring_timeout = smartlink::ParseDurationMs(o.ring_timeout);
  if (!ring_timeout || *ring_timeout < 1000 || *ring_timeout > 3600 * 1000) {
    return Fail("--ring-timeout must be a duration from 1s to 1h, such as 60s");
  }
  std::string admin_key = o.admin_key;
  if (!o.admin_key_file.empty()) {
    auto k = ReadFile(o.admin_key_file);
    if (!k.ok()) return Fail(k.status().message());
    admin_key = *k;
    while (!admin_key.empty() && (admin_key.back() == '\n' || admin_key.back() == '\r')) {
      admin_key.pop_back();
    }
  }
  if (!admin_key.empty() && admin_key.size() < 16) {
    return Fail("the admin key must be at least 16 bytes");
  }
  net.max_frame_bytes = static_cast<size_t>(*max_frame);
  net.handshake_timeout_ms = *handshake_timeout;
  net.coalesce_us = *coalesce * 1000;
  net.tls_cert = o.tls_cert;
  net.tls_key = o.tls_key;
  net.tls_only = o.tls_only;

  // A ready file left by an earlier run must not be taken for this one's.
  if (!o.ready_file.empty()) ::unlink(o.ready_file.c_str());
  // Storage: one connection writes (group commit), one reads.
  if (Status s = MakeDirs(o.data); !s.ok()) return Fail(s.message());
  // One server per data directory: a second would keep its own rooms and sessions in
  // memory beside the first's, over the same database. The lock goes with the process
  // (kill -9 included); the descriptor stays open until exit.
  std::string lock_path = o.data + "/slserver.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return Fail("cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Fail(errno == EWOULDBLOCK ? "another slserver is using the data directory " + o.data +
                                           " (it holds " + lock_path + ")"
                                     : "cannot lock " + lock_path + ": " + std::strerror(errno));
  }
  smartlink::storage::SqliteOptions sqlite;
  sqlite.synchronous = o.sync;
  std::string db_path = o.data + "/smartlink.db";
  // The writer's WAL checkpoints run on a thread of their own: none inside a commit that
  // senders wait for (docs/design.md).
  smartlink::storage::CheckpointStats checkpoints;
  smartlink::storage::SqliteOptions sqlite_writer = sqlite;
  sqlite_writer.checkpoint_in_background = true;
  sqlite_writer.checkpoint_stats = &checkpoints;
  sqlite_writer.wal_restart_pages = static_cast<int>(*wal_restart / kPageBytes);
  auto writer = smartlink::storage::OpenSqlite(db_path, sqlite_writer);
  if (!writer.ok()) return Fail(db_path + ": " + writer.status().message());
  auto reader = smartlink::storage::OpenSqlite(db_path, sqlite);
  if (!reader.ok()) return Fail(db_path + ": " + reader.status().message());

  auto server = smartlink::net::WsServer::Create(net, log);
  if (!server.ok()) return Fail(server.status().message());
  smartlink::net::WsServer& srv = **server;

  smartlink::storage::StorageWorker::Options storage_opt;
  storage_opt.min_commit_interval_us = *commit_interval * 1000;
  smartlink::storage::StorageWorker storage(
      std::move(*writer), std::move(*reader),
      [&srv](std::function<void()> fn) { srv.Post(std::move(fn)); }, storage_opt);

  smartlink::server::HubOptions hub_opt;
  hub_opt.version = SMARTLINK_VERSION;
  hub_opt.open_auth = o.auth == "none";
  hub_opt.verifier = verifier.get();
  hub_opt.codec.max_text_bytes = static_cast<size_t>(*max_text);
  hub_opt.auth_timeout_ms = *auth_timeout;
  hub_opt.idle_timeout_ms = *idle_timeout;
  hub_opt.max_frame_bytes = net.max_frame_bytes;
  hub_opt.data_dir = o.data;
  hub_opt.checkpoint_stats = &checkpoints;
  hub_opt.max_file_bytes = *max_file;
  hub_opt.file_types = SplitList(o.file_types);
  hub_opt.file_ttl_ms = *file_ttl;
  hub_opt.live_grace_ms = *live_grace;
  hub_opt.ring_timeout_ms = *ring_timeout;
  hub_opt.rate_per_sec = o.rate;
  hub_opt.rate_burst = o.rate_burst;
  hub_opt.max_connections = o.max_connections;
  hub_opt.max_sessions_per_user = o.max_sessions_per_user;
  hub_opt.send_queue_hard = static_cast<size_t>(*max_send_queue);
  hub_opt.send_queue_soft = std::min<size_t>(256 << 10, hub_opt.send_queue_hard / 4);
  hub_opt.codec.max_depth = o.max_depth;
  hub_opt.allowed_origins = SplitList(o.allowed_origins);
  hub_opt.admin_key = admin_key;
  // A chunk must fit in a frame with its JSON envelope (base64 grows it by a third).
  hub_opt.chunk_size = std::min<size_t>(256 << 10, net.max_frame_bytes / 2);
  hub_opt.codec.max_chunk_bytes = hub_opt.chunk_size;
  smartlink::server::Hub hub(hub_opt, clock, storage, srv.transport(), log);
  if (Status s = hub.Load(); !s.ok()) return Fail("cannot load " + db_path + ": " + s.message());
  srv.set_hub(&hub);

  if (Status s = srv.Listen(); !s.ok()) return Fail(s.message());
  if (hub_opt.open_auth) {
    log(IsLoopback(net.host) ? "info" : "warn",
        "open auth: anyone who can reach " + srv.url() + " may connect as any user");
  }
  std::string url = srv.url();
  log("info", "slserver " SMARTLINK_VERSION " listening on " + url + " (data " + o.data +
                  ", auth " + o.auth + ")");
  if (!o.ready_file.empty()) {
    if (Status s = WriteFileAtomic(o.ready_file, url); !s.ok()) return Fail(s.message());
  }

  // Shutdown: stop accepting, let queued writes commit and be acknowledged, close every
  // session with 1001, and stop once they are gone (or after 3 s).
  bool shutting_down = false;
  int64_t close_deadline = 0;
  std::function<void()> wait_closed = [&] {
    if (hub.connections() == 0 || clock.MonotonicMs() >= close_deadline) {
      srv.Stop();
    } else {
      srv.After(20, wait_closed);
    }
  };
  auto close_all = [&] {
    hub.CloseAll();
    close_deadline = clock.MonotonicMs() + 3000;
    wait_closed();
  };
  srv.Run([&](int sig) {
    if (shutting_down) {  // a second signal: stop now
      srv.Stop();
      return;
    }
    shutting_down = true;
    log("info", std::string("received ") +
                    (sig == SIGINT   ? "SIGINT"
                     : sig == SIGHUP ? "SIGHUP"
                                     : "SIGTERM") +
                    ": shutting down");
    srv.StopListening();
    hub.BeginShutdown();
    bool queued =
        storage.Write<bool>([](smartlink::storage::Store&) -> Result<bool> { return true; },
                            [&close_all](Result<bool>) { close_all(); });
    if (!queued) close_all();
  });
  storage.Stop();
  if (!o.ready_file.empty()) ::unlink(o.ready_file.c_str());  // no longer ready
  log("info", "stopped");
  return 0;
}

}  // namespace
}  // namespace slserver

int main(int argc, char** argv) {
  CLI::App app{"slserver: the SmartLink real-time chat server", "slserver"};
  app.set_version_flag("--version", "slserver " SMARTLINK_VERSION);
  slserver::Options opt;
  CLI::App* token = slserver::AddFlags(app, opt);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ConfigError& e) {
    // CLI11 says "INI was not able to parse KEY": name the file and what keys it takes.
    std::string what = e.what();
    const std::string prefix = "INI was not able to parse ";
    if (what.rfind(prefix, 0) == 0) what = "unknown key or bad line: " + what.substr(prefix.size());
    std::cerr
        << "slserver: error: --config: " << what
        << " (the keys are the long flag names of --help, such as listen = \"0.0.0.0:8080\")\n";
    return 2;
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // --help and --version exit 0; usage errors 2, like slchat's
    return code == 0 ? 0 : 2;
  }
  if (token->parsed()) return slserver::Token(opt);
  return slserver::Serve(opt);
}

#include "options.h"

#include <CLI/CLI.hpp>

namespace slserver {
namespace {

// CLI11's PositiveNumber and NonNegativeNumber name their range with a 300-digit double
// ("not in range 0.000000 to 1797…"): these say it in words.
CLI::Validator AtLeast(int min) {
  return CLI::Validator(
      [min](std::string& s) -> std::string {
        double v = 0;
        size_t used = 0;
        try {
          v = std::stod(s, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != s.size() || !(v >= min)) {
          return "must be a number of " + std::to_string(min) + " or more, not '" + s + "'";
        }
        return std::string();
      },
      "NUMBER>=" + std::to_string(min));
}

}  // namespace

CLI::App* AddFlags(CLI::App& app, Options& o) {
  app.set_config("--config", "", "Read options from a TOML file (keys are the long flag names)");
  // A misspelt key must not pass unnoticed: `jwt-secert-file` would start an open server.
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.option_defaults()->always_capture_default()->multi_option_policy(
      CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--listen", o.listen, "Address to listen on, HOST:PORT (port 0: ephemeral)")
      ->envname("SL_LISTEN");
  app.add_option("--data", o.data, "Data directory (SQLite database, files)")->envname("SL_DATA");
  app.add_option("--auth", o.auth,
                 "Authentication: none (open, any user name) or jwt (signed tokens); "
                 "default jwt when a key is configured")
      ->check(CLI::IsMember({"none", "jwt"}))
      ->envname("SL_AUTH");
  app.add_option("--jwt-secret", o.jwt_secret, "HS256 secret (at least 32 bytes)")
      ->envname("SL_JWT_SECRET");
  app.add_option("--jwt-secret-file", o.jwt_secret_file, "File holding the HS256 secret")
      ->envname("SL_JWT_SECRET_FILE");
  app.add_option("--jwt-public-key", o.jwt_public_key,
                 "PEM public key file for RS256 (RSA) or ES256 (P-256) tokens")
      ->envname("SL_JWT_PUBLIC_KEY");
  app.add_option("--jwt-leeway", o.jwt_leeway, "Clock slack allowed on exp and nbf")
      ->envname("SL_JWT_LEEWAY");
  app.add_flag("--jwt-allow-no-exp", o.jwt_allow_no_exp,
               "Accept tokens without an exp claim (by default they are refused: such a token "
               "never expires)")
      ->envname("SL_JWT_ALLOW_NO_EXP");
  app.add_option("--tls-cert", o.tls_cert,
                 "PEM certificate chain: serve wss:// and HTTPS (and plain ws:// and HTTP on the "
                 "same port, unless --tls-only)")
      ->envname("SL_TLS_CERT");
  app.add_option("--tls-key", o.tls_key, "PEM private key for --tls-cert")->envname("SL_TLS_KEY");
  app.add_flag("--tls-only", o.tls_only,
               "With --tls-cert: refuse plain ws:// and http:// clients on the port")
      ->envname("SL_TLS_ONLY");
  app.add_option("--ready-file", o.ready_file,
                 "Write the bound URL to this file once connections are accepted")
      ->envname("SL_READY_FILE");
  app.add_option("--log-level", o.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->envname("SL_LOG_LEVEL");
  app.add_option("--sync", o.sync,
                 "SQLite durability: full (fsync each commit), normal, off (tests only)")
      ->check(CLI::IsMember({"full", "normal", "off"}))
      ->envname("SL_SYNC");
  app.add_option("--commit-interval", o.commit_interval,
                 "Under load, start SQLite commits at most this often, so that each "
                 "commit (and its fsync) covers more messages; 0: no pacing; auto: 2ms "
                 "with --sync full, else 0")
      ->envname("SL_COMMIT_INTERVAL");
  app.add_option("--coalesce", o.coalesce,
                 "Events for a connection written to less than this long ago wait for a "
                 "flush timer (at most this long) and go out together in one write: fewer "
                 "system calls under load, for up to this much more delivery latency; replies "
                 "never wait; 0: off")
      ->envname("SL_COALESCE");
  app.add_option("--wal-restart", o.wal_restart,
                 "Let SQLite's WAL file start over once it is this long (a commit then waits "
                 "for a short checkpoint and its fsyncs); it may grow to twice that. Larger: "
                 "rarer such commits, a bigger file")
      ->envname("SL_WAL_RESTART");
  app.add_option("--max-frame", o.max_frame, "Largest WebSocket message accepted (close 1009)")
      ->envname("SL_MAX_FRAME");
  app.add_option("--max-text", o.max_text, "Largest message text in bytes (too_large)")
      ->envname("SL_MAX_TEXT");
  app.add_option("--auth-timeout", o.auth_timeout, "Close unauthenticated connections after")
      ->envname("SL_AUTH_TIMEOUT");
  app.add_option("--idle-timeout", o.idle_timeout, "Close connections silent for longer than")
      ->envname("SL_IDLE_TIMEOUT");
  app.add_option("--allowed-origins", o.allowed_origins,
                 "Comma-separated origins browsers may connect from (others are closed with "
                 "1008; empty: any) and that get CORS headers")
      ->envname("SL_ALLOWED_ORIGINS");
  app.add_option("--admin-key", o.admin_key,
                 "Key for the backend's HTTP API (publish, notify, disconnect, server stats)")
      ->envname("SL_ADMIN_KEY");
  app.add_option("--admin-key-file", o.admin_key_file, "File holding the admin key")
      ->envname("SL_ADMIN_KEY_FILE");
  app.add_option("--max-file", o.max_file, "Largest file accepted (too_large)")
      ->envname("SL_MAX_FILE");
  app.add_option("--file-types", o.file_types,
                 "Comma-separated MIME types accepted for files, such as image/*,text/plain; "
                 "compared without case or parameters (empty: any)")
      ->envname("SL_FILE_TYPES");
  app.add_option("--file-ttl", o.file_ttl, "Files expire this long after upload (0: never)")
      ->envname("SL_FILE_TTL");
  app.add_option("--live-grace", o.live_grace,
                 "A live stream ends when its host has had no session for this long")
      ->envname("SL_LIVE_GRACE");
  app.add_option("--ring-timeout", o.ring_timeout,
                 "A call nobody answers ends this long after its offer (both sides get a "
                 "hangup with reason \"no answer\")")
      ->envname("SL_RING_TIMEOUT");
  app.add_option("--rate", o.rate,
                 "Requests per second per connection (0: no limit); more get rate_limited")
      ->check(AtLeast(0))
      ->envname("SL_RATE");
  app.add_option("--rate-burst", o.rate_burst, "Requests a connection may send in a burst")
      ->check(AtLeast(1))
      ->envname("SL_RATE_BURST");
  app.add_option("--max-connections", o.max_connections,
                 "Connections in all; more are closed with 1008 as they open")
      ->check(AtLeast(1))
      ->envname("SL_MAX_CONNECTIONS");
  app.add_option("--max-sessions-per-user", o.max_sessions_per_user,
                 "Sessions one user may hold; more are closed with 1008")
      ->check(AtLeast(1))
      ->envname("SL_MAX_SESSIONS_PER_USER");
  app.add_option("--max-send-queue", o.max_send_queue,
                 "Bytes queued to one connection before it is closed as a slow reader (4008)")
      ->envname("SL_MAX_SEND_QUEUE");
  app.add_option("--max-depth", o.max_depth, "Deepest JSON nesting accepted")
      ->check(CLI::Range(2, 128))
      ->envname("SL_MAX_DEPTH");
  app.add_option("--handshake-timeout", o.handshake_timeout,
                 "Close connections that do not finish the WebSocket handshake in time")
      ->envname("SL_HANDSHAKE_TIMEOUT");

  CLI::App* token = app.add_subcommand("token", "Print an HS256 token signed with the secret");
  token->add_option("--user", o.token_user, "User id (the token's sub)")->required();
  token->add_option("--ttl", o.token_ttl, "Lifetime, such as 30m, 1h, 7d")->capture_default_str();
  token->fallthrough();
  return token;
}

}  // namespace slserver

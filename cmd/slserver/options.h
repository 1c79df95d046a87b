#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;  // <CLI/CLI.hpp>: only the .cc files that parse include it (~7 s a TU)
}  // namespace CLI

namespace slserver {

// Every flag of slserver. Each is also read from SL_<NAME> and from --config FILE (TOML:
// `listen = "127.0.0.1:9000"`).
struct Options {
  std::string listen = "0.0.0.0:8080";
  std::string data = "data";
  std::string auth;  // none | jwt; empty: jwt when a key is configured, else none
  std::string jwt_secret;
  std::string jwt_secret_file;
  std::string jwt_public_key;
  std::string jwt_leeway = "5s";
  bool jwt_allow_no_exp = false;
  std::string tls_cert;
  std::string tls_key;
  bool tls_only = false;
  std::string ready_file;
  std::string log_level = "info";
  std::string sync = "full";
  std::string commit_interval = "auto";
  std::string coalesce = "0";
  std::string wal_restart = "128MiB";
  std::string max_frame = "1MiB";
  std::string max_text = "4000";
  std::string auth_timeout = "10s";
  std::string idle_timeout = "120s";
  std::string allowed_origins;  // comma-separated
  std::string admin_key;
  std::string admin_key_file;
  std::string max_file = "100MiB";
  std::string file_types;  // comma-separated MIME types, "image/*"; empty: any
  std::string file_ttl = "30d";
  std::string live_grace = "30s";
  std::string ring_timeout = "60s";
  double rate = 50;
  double rate_burst = 200;
  size_t max_connections = 10000;
  size_t max_sessions_per_user = 16;
  std::string max_send_queue = "8MiB";
  size_t max_depth = 16;
  std::string handshake_timeout = "10s";

  // `slserver token`
  std::string token_user;
  std::string token_ttl = "1h";
};

// Registers the flags on `app` (and the `token` subcommand, returned).
CLI::App* AddFlags(CLI::App& app, Options& opt);

}  // namespace slserver

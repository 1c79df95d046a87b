#pragma once

// websocketpp builds an access-log line when a connection opens, closes, fails or answers
// an HTTP request (connection::log_open_result and its siblings) even when every access
// channel is cleared, and then drops it: a std::stringstream, a getpeername(2) for the
// remote address, header look-ups and string copies, on each side of every connection.
// Our endpoints clear every access channel when they are made (ws_server_impl.h,
// ws_client_impl.h) and never set one, so these lines were never written.
//
// SMARTLINK_QUIET_CONNECTION_LOG(Config) declares explicit specializations that do nothing.
// As with fast_utf8.h, a specialization must come before the first use of the template with
// that argument: the translation unit that instantiates an endpoint for Config invokes the
// macro after its includes, before any code of its own. Whoever wants websocketpp's access
// log back removes the invocation.

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <websocketpp/connection.hpp>

#define SMARTLINK_QUIET_CONNECTION_LOG(Config)                       \
  template <>                                                        \
  inline void websocketpp::connection<Config>::log_open_result() {}  \
  template <>                                                        \
  inline void websocketpp::connection<Config>::log_close_result() {} \
  template <>                                                        \
  inline void websocketpp::connection<Config>::log_fail_result() {}  \
  template <>                                                        \
  inline void websocketpp::connection<Config>::log_http_result() {}

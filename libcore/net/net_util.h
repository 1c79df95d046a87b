#pragma once

// Small helpers for net/: URL pieces, headers, WebSocket frame headers. No websocketpp here.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace smartlink::net {

// "127.0.0.1:8080", "[::1]:8080".
std::string HostPort(const std::string& host, uint16_t port);
// "/ws?token=x" -> "/ws" and "token=x".
std::string PathOf(std::string_view resource);
std::string QueryOf(std::string_view resource);
// Decodes "a=1&b=%20x+y" (later keys win).
std::map<std::string, std::string> ParseQuery(std::string_view query);
std::string PercentDecode(std::string_view s, bool plus_is_space);
std::string PercentEncode(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);
std::string Trim(std::string_view s);
// The header of one final WebSocket frame with `opcode` carrying `size` bytes (RFC 6455 5.2),
// without the masking key that follows it when `masked` (client frames).
std::string FrameHeader(int opcode, size_t size, bool masked);
// An unmasked text or binary one (server frames).
inline std::string FrameHeader(bool binary, size_t size) {
  return FrameHeader(binary ? 0x2 : 0x1, size, false);
}

// A parsed ws:// or wss:// URL.
struct WsUrl {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  std::string resource = "/ws";  // path and query
};
// Accepts ws://, wss://, http:// and https:// (the path defaults to /ws).
bool ParseWsUrl(std::string_view url, WsUrl* out, std::string* error);

}  // namespace smartlink::net

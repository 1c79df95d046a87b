#include "net_util.h"

#include <cctype>

namespace smartlink::net {

std::string HostPort(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string PathOf(std::string_view resource) {
  return std::string(resource.substr(0, resource.find('?')));
}

std::string QueryOf(std::string_view resource) {
  size_t q = resource.find('?');
  return q == std::string_view::npos ? std::string() : std::string(resource.substr(q + 1));
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true);
    out[key] = value;
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string FrameHeader(int opcode, size_t size, bool masked) {
  std::string h;
  h += static_cast<char>(0x80 | opcode);
  char mask = masked ? static_cast<char>(0x80) : 0;
  if (size < 126) {
    h += static_cast<char>(mask | static_cast<char>(size));
  } else if (size <= 0xFFFF) {
    h += static_cast<char>(mask | 126);
    h += static_cast<char>((size >> 8) & 0xFF);
    h += static_cast<char>(size & 0xFF);
  } else {
    h += static_cast<char>(mask | 127);
    for (int shift = 56; shift >= 0; shift -= 8) {
      h += static_cast<char>((static_cast<uint64_t>(size) >> shift) & 0xFF);
    }
  }
  return h;
}

bool ParseWsUrl(std::string_view url, WsUrl* out, std::string* error) {
  WsUrl u;
  std::string_view rest;
  auto starts = [&](std::string_view p) { return url.substr(0, p.size()) == p; };
  if (starts("ws://") || starts("http://")) {
    rest = url.substr(url.find("//") + 2);
  } else if (starts("wss://") || starts("https://")) {
    u.tls = true;
    rest = url.substr(url.find("//") + 2);
  } else {
    *error = "URL must start with ws:// or wss://";
    return false;
  }
  size_t slash = rest.find_first_of("/?");
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view res = rest.substr(slash);
    u.resource = res[0] == '?' ? "/ws" + std::string(res) : std::string(res);
    if (PathOf(u.resource) == "/") u.resource = "/ws" + u.resource.substr(1);
  }
  std::string_view port_str;
  if (!hostport.empty() && hostport[0] == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      *error = "bad IPv6 address in URL";
      return false;
    }
    u.host = std::string(hostport.substr(1, close - 1));
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') {
        *error = "bad IPv6 address in URL";
        return false;
      }
      port_str = hostport.substr(close + 2);
      if (port_str.empty()) {
        *error = "bad port in URL";
        return false;
      }
    }
  } else {
    size_t colon = hostport.rfind(':');
    u.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port_str = hostport.substr(colon + 1);
  }
  if (u.host.empty()) {
    *error = "URL has no host";
    return false;
  }
  if (port_str.empty()) {
    u.port = u.tls ? 443 : 80;
  } else {
    unsigned long p = 0;
    for (char c : port_str) {
      if (c < '0' || c > '9' || p > 65535) {
        *error = "bad port in URL";
        return false;
      }
      p = p * 10 + static_cast<unsigned long>(c - '0');
    }
    if (p == 0 || p > 65535) {
      *error = "bad port in URL";
      return false;
    }
    u.port = static_cast<uint16_t>(p);
  }
  *out = std::move(u);
  return true;
}

}  // namespace smartlink::net

#include "smartlink/protocol/names.h"

#include <algorithm>

namespace smartlink::protocol {

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidFileName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') return false;
  }
  return true;
}

namespace {

bool IsTokenChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != 0 &&
          std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos);
}

}  // namespace

bool IsValidMime(std::string_view m) {
  size_t i = 0;
  auto token = [&] {
    size_t start = i;
    while (i < m.size() && IsTokenChar(static_cast<unsigned char>(m[i]))) ++i;
    return i > start;
  };
  auto space = [&] {
    while (i < m.size() && (m[i] == ' ' || m[i] == '\t')) ++i;
  };
  if (!token() || i == m.size() || m[i++] != '/' || !token()) return false;
  for (;;) {
    size_t before = i;
    space();
    if (i == m.size()) return i == before;  // no trailing blanks
    if (m[i++] != ';') return false;
    space();
    if (!token() || i == m.size() || m[i++] != '=') return false;
    if (i < m.size() && m[i] == '"') {
      for (++i;; ++i) {
        if (i == m.size()) return false;
        auto c = static_cast<unsigned char>(m[i]);
        if (c == '"') break;
        if (c == '\\' && ++i == m.size()) return false;
        c = static_cast<unsigned char>(m[i]);
        if ((c < 0x20 && c != '\t') || c >= 0x7f) return false;
      }
      ++i;
    } else if (!token()) {
      return false;
    }
  }
}

std::string MimeEssence(std::string_view mime) {
  std::string out(mime.substr(0, std::min(mime.find(';'), mime.size())));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string ConvId::str() const {
  if (kind == Kind::kRoom) return "#" + room;
  return "@" + user_a + "," + user_b;
}

std::optional<ConvId> ParseConv(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  if (s[0] == '#') {
    std::string_view room = s.substr(1);
    if (!IsValidRoomName(room)) return std::nullopt;
    return ConvId{ConvId::Kind::kRoom, std::string(room), {}, {}};
  }
  if (s[0] == '@') {
    std::string_view rest = s.substr(1);
    size_t comma = rest.find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    std::string_view a = rest.substr(0, comma), b = rest.substr(comma + 1);
    if (!IsValidUserId(a) || !IsValidUserId(b) || a > b) return std::nullopt;
    return ConvId{ConvId::Kind::kDirect, {}, std::string(a), std::string(b)};
  }
  return std::nullopt;
}

ConvId DirectConv(std::string_view a, std::string_view b) {
  if (b < a) std::swap(a, b);
  return ConvId{ConvId::Kind::kDirect, {}, std::string(a), std::string(b)};
}

std::string DirectConvId(std::string_view a, std::string_view b) { return DirectConv(a, b).str(); }

std::optional<ConvId> ParseTarget(std::string_view to, std::string_view sender) {
  if (to.size() < 2) return std::nullopt;
  if (to[0] == '#') return ParseConv(to);
  if (to[0] == '@') {
    std::string_view user = to.substr(1);
    // A full direct conversation id ("@a,b") is accepted too when the sender is one of them.
    if (user.find(',') != std::string_view::npos) {
      auto conv = ParseConv(to);
      if (!conv || !conv->HasUser(sender)) return std::nullopt;
      return conv;
    }
    if (!IsValidUserId(user)) return std::nullopt;
    return DirectConv(sender, user);
  }
  return std::nullopt;
}

}  // namespace smartlink::protocol

#include "json_scan.h"

#include <nlohmann/json.hpp>

namespace slbench {

namespace scan_internal {

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

size_t StringEnd(std::string_view s, size_t i) {
  if (i >= s.size() || s[i] != '"') return std::string_view::npos;
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

size_t ValueEnd(std::string_view s, size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  char c = s[i];
  if (c == '"') return StringEnd(s, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < s.size()) {
      char d = s[i];
      if (d == '"') {
        i = StringEnd(s, i);
        if (i == std::string_view::npos) return i;
        continue;
      }
      if (d == '{' || d == '[') ++depth;
      if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return std::string_view::npos;
  }
  size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n' &&
         s[i] != '\r' && s[i] != '\t') {
    ++i;
  }
  return i == start ? std::string_view::npos : i;
}

}  // namespace scan_internal

std::optional<std::string_view> UnquoteSimple(std::string_view raw) {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return std::nullopt;
  std::string_view inner = raw.substr(1, raw.size() - 2);
  if (inner.find('\\') != std::string_view::npos) return std::nullopt;
  return inner;
}

std::optional<std::string> Unquote(std::string_view raw) {
  if (auto simple = UnquoteSimple(raw)) return std::string(*simple);
  if (raw.size() < 2 || raw.front() != '"') return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(raw, nullptr, false);
  if (!j.is_string()) return std::nullopt;
  return j.get<std::string>();
}

std::optional<int64_t> ParseInt(std::string_view raw) {
  if (raw.empty() || raw.size() > 19) return std::nullopt;
  bool neg = raw[0] == '-';
  size_t i = neg ? 1 : 0;
  if (i >= raw.size()) return std::nullopt;
  int64_t v = 0;
  for (; i < raw.size(); ++i) {
    if (raw[i] < '0' || raw[i] > '9') return std::nullopt;
    v = v * 10 + (raw[i] - '0');
  }
  return neg ? -v : v;
}

}  // namespace slbench

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// A scanner for the top level of one JSON object, for slbench's receive path: a receiver may
// see hundreds of thousands of frames a second, and building a DOM for each (about 2.5 us
// with nlohmann/json) would make the generator the bottleneck. The scanner finds each
// top-level key and the raw text of its value without allocating; nested values are skipped.
namespace slbench {

// Calls fn(key, raw_value) for each member of the object in `json`, in order; `raw_value`
// is the value's text as written (strings keep their quotes). Stops early when fn returns
// false. Returns false when `json` is not a well-formed object at the top level (nested
// values are only checked for balanced brackets and quotes).
template <typename Fn>
bool ScanObject(std::string_view json, Fn&& fn);

// The contents of a raw JSON string value, with escapes decoded. Nullopt if `raw` is not a
// string.
std::optional<std::string> Unquote(std::string_view raw);
// The contents of a raw string that has no escapes, without copying; nullopt otherwise.
std::optional<std::string_view> UnquoteSimple(std::string_view raw);
// A raw integer value; nullopt for anything else.
std::optional<int64_t> ParseInt(std::string_view raw);

namespace scan_internal {
size_t SkipSpace(std::string_view s, size_t i);
// The end (one past) of the value starting at `i`, or npos if malformed.
size_t ValueEnd(std::string_view s, size_t i);
// The end (one past the closing quote) of the string starting at `i`, or npos.
size_t StringEnd(std::string_view s, size_t i);
}  // namespace scan_internal

template <typename Fn>
bool ScanObject(std::string_view s, Fn&& fn) {
  using namespace scan_internal;
  size_t i = SkipSpace(s, 0);
  if (i >= s.size() || s[i] != '{') return false;
  i = SkipSpace(s, i + 1);
  if (i < s.size() && s[i] == '}') return true;
  for (;;) {
    if (i >= s.size() || s[i] != '"') return false;
    size_t key_end = StringEnd(s, i);
    if (key_end == std::string_view::npos) return false;
    std::string_view key = s.substr(i + 1, key_end - i - 2);
    i = SkipSpace(s, key_end);
    if (i >= s.size() || s[i] != ':') return false;
    i = SkipSpace(s, i + 1);
    size_t end = ValueEnd(s, i);
    if (end == std::string_view::npos) return false;
    if (!fn(key, s.substr(i, end - i))) return true;
    i = SkipSpace(s, end);
    if (i >= s.size()) return false;
    if (s[i] == '}') return true;
    if (s[i] != ',') return false;
    i = SkipSpace(s, i + 1);
  }
}

}  // namespace slbench

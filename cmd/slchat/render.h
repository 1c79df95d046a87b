#pragma once

// How slchat shows events to people: one or more lines of text per event, with ANSI colours
// when asked. Pure: the clock and the user come in a RenderContext. Thread-compatible.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace slchat {

using Json = nlohmann::json;

struct RenderContext {
  bool color = false;
  std::string self;    // our user id: direct conversations are shown as "@peer"
  int64_t now_ms = 0;  // dates are shown for times not on this (local) day
};

// ANSI colouring that vanishes when `on` is false.
struct Paint {
  bool on = false;
  std::string Dim(std::string_view s) const { return Wrap("2", s); }
  std::string Bold(std::string_view s) const { return Wrap("1", s); }
  std::string Red(std::string_view s) const { return Wrap("31", s); }
  std::string Green(std::string_view s) const { return Wrap("32", s); }
  std::string Yellow(std::string_view s) const { return Wrap("33", s); }
  std::string Cyan(std::string_view s) const { return Wrap("36", s); }
  std::string Magenta(std::string_view s) const { return Wrap("35", s); }
  // A stable colour per user name.
  std::string Nick(std::string_view name) const;
  std::string Wrap(std::string_view code, std::string_view s) const;
};

// Replaces control characters (terminal escapes in untrusted text) by '?', keeping '\n' and
// '\t' when `multiline`, and invalid UTF-8 bytes by U+FFFD.
std::string Sanitize(std::string_view s, bool multiline = true);

// "@bob" for "@alice,bob" seen by alice; "#lobby" stays.
std::string ConvLabel(std::string_view conv, std::string_view self);

// "14:05" today, "11-20 14:05" earlier this year, "2025-11-20 14:05" before.
std::string FormatTime(int64_t ts_ms, int64_t now_ms);
// "512 B", "48.2 KiB", "3.0 MiB".
std::string FormatSize(uint64_t bytes);
// "cat.jpg [#########...........] 45%  1.2 MiB/2.6 MiB", at most `width` columns.
std::string ProgressLine(std::string_view label, uint64_t done, uint64_t total, int width);

// A message as history, search and `msg` events carry it:
// "14:05 #lobby [5] <alice> hello". Texts that could not be decrypted carry "e2e_error".
std::string RenderMessage(const Json& msg, const RenderContext& ctx);
// A moment of `moment.feed` or a `moment` event, with likes and comments.
std::string RenderMoment(const Json& m, const RenderContext& ctx);
// Any event pushed by the server; empty for events not shown as text (typing, receipts,
// pongs, caught_up, file data, welcome).
std::string RenderEvent(const Json& ev, const RenderContext& ctx);

}  // namespace slchat

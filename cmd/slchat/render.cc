#include "render.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

namespace slchat {

namespace {

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return Sanitize(it->get<std::string>(), false);
}

std::string Text(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return Sanitize(it->get<std::string>(), true);
}

int64_t Int(const Json& j, const char* key, int64_t fallback = 0) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return fallback;
  return it->get<int64_t>();
}

bool Bool(const Json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// Continuation lines of a multi-line text are indented under the first.
std::string Indent(const std::string& text, size_t by) {
  std::string out;
  for (char c : text) {
    out.push_back(c);
    if (c == '\n') out.append(by, ' ');
  }
  return out;
}

// "14:05 #lobby [5] " with colours.
std::string Head(const Json& ev, const RenderContext& ctx, const Paint& p) {
  std::string head;
  int64_t ts = Int(ev, "ts", Int(ev, "edited_ts"));
  if (ts > 0) head += p.Dim(FormatTime(ts, ctx.now_ms)) + " ";
  std::string conv = Str(ev, "conv");
  if (!conv.empty()) head += p.Cyan(ConvLabel(conv, ctx.self)) + " ";
  if (ev.contains("seq")) head += p.Dim("[" + std::to_string(Int(ev, "seq")) + "]") + " ";
  return head;
}

std::string RenderSignal(const Json& ev, const Paint& p) {
  std::string from = Str(ev, "from");
  std::string kind = Str(ev, "kind");
  std::string call = Str(ev, "call_id");
  const Json payload = ev.value("payload", Json());
  std::string line;
  if (kind == "offer") {
    line = p.Bold(p.Green("call from " + from)) + " (call " + call +
           "): /answer [SDP_FILE|-] to take it, /hangup to refuse";
  } else if (kind == "answer") {
    line = p.Green(from + " answered") + " (call " + call + ")";
  } else if (kind == "ice") {
    std::string cand = payload.is_object() ? Str(payload, "candidate") : "";
    if (cand.empty() && payload.is_string()) cand = Sanitize(payload.get<std::string>(), false);
    line = "ice from " + from + " (call " + call + "): " + cand;
  } else if (kind == "hangup") {
    std::string reason = payload.is_object() ? Str(payload, "reason") : "";
    line = p.Yellow("call " + call + " ended by " + from) +
           (reason.empty() ? "" : " (" + reason + ")");
  } else {
    line = "signal " + kind + " from " + from + " (call " + call + ")";
  }
  if (payload.is_object() && payload.contains("sdp") && payload["sdp"].is_string()) {
    std::string sdp = payload["sdp"].get<std::string>();
    sdp.erase(std::remove(sdp.begin(), sdp.end(), '\r'), sdp.end());
    sdp = Sanitize(sdp, true);
    while (!sdp.empty() && (sdp.back() == '\n' || sdp.back() == '\r')) sdp.pop_back();
    size_t start = 0;
    while (start <= sdp.size()) {
      size_t nl = sdp.find('\n', start);
      line +=
          "\n  | " + sdp.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  return line;
}

std::string RenderLive(const std::string& type, const Json& ev, const RenderContext& ctx,
                       const Paint& p) {
  std::string stream = p.Magenta("live:" + Str(ev, "stream"));
  int64_t ts = Int(ev, "ts");
  std::string time = ts > 0 ? p.Dim(FormatTime(ts, ctx.now_ms)) + " " : "";
  if (type == "live.chat") {
    return time + stream + " <" + p.Nick(Str(ev, "user")) + "> " + Text(ev, "text");
  }
  if (type == "live.react") return time + stream + " " + Str(ev, "user") + " " + Str(ev, "emoji");
  if (type == "live.viewers") return stream + " " + std::to_string(Int(ev, "count")) + " watching";
  std::string status = Str(ev, "status");
  std::string title = Str(ev, "title");
  if (status == "live") {
    return stream + " " + p.Bold(Str(ev, "host") + " is live") +
           (title.empty() ? "" : ": " + title) + " (/live join " + Str(ev, "stream") + ")";
  }
  std::string reason = Str(ev, "reason");
  return stream + " ended" + (reason.empty() ? "" : " (" + reason + ")");
}

}  // namespace

std::string Paint::Wrap(std::string_view code, std::string_view s) const {
  if (!on || s.empty()) return std::string(s);
  return "\033[" + std::string(code) + "m" + std::string(s) + "\033[0m";
}

std::string Paint::Nick(std::string_view name) const {
  static const char* kColors[] = {"1;31", "1;32", "1;33", "1;34", "1;35", "1;36"};
  uint32_t h = 2166136261u;
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return Wrap(kColors[h % 6], name);
}

std::string Sanitize(std::string_view s, bool multiline) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      bool keep = c >= 0x20 && c != 0x7f;
      if (multiline && (c == '\n' || c == '\t')) keep = true;
      out.push_back(keep ? static_cast<char>(c) : '?');
      ++i;
      continue;
    }
    size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    bool ok = len > 0 && i + len <= s.size();
    uint32_t cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xc0) == 0x80;
      cp = cp << 6 | (cc & 0x3f);
    }
    if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
               (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))) {
      ok = false;
    }
    if (!ok) {
      out += "\xef\xbf\xbd";
      ++i;
      continue;
    }
    if (cp >= 0x80 && cp < 0xa0) {
      out.push_back('?');  // C1 controls
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string ConvLabel(std::string_view conv, std::string_view self) {
  if (conv.size() > 1 && conv[0] == '@') {
    size_t comma = conv.find(',');
    if (comma != std::string_view::npos) {
      std::string_view a = conv.substr(1, comma - 1), b = conv.substr(comma + 1);
      if (a == self) return Sanitize("@" + std::string(b), false);
      if (b == self) return Sanitize("@" + std::string(a), false);
    }
  }
  return Sanitize(conv, false);
}

std::string FormatTime(int64_t ts_ms, int64_t now_ms) {
  time_t t = static_cast<time_t>(ts_ms / 1000), now = static_cast<time_t>(now_ms / 1000);
  struct tm tm_t, tm_now;
  localtime_r(&t, &tm_t);
  localtime_r(&now, &tm_now);
  char buf[32];
  const char* fmt = "%Y-%m-%d %H:%M";
  if (tm_t.tm_year == tm_now.tm_year) {
    fmt = tm_t.tm_yday == tm_now.tm_yday ? "%H:%M" : "%m-%d %H:%M";
  }
  strftime(buf, sizeof buf, fmt, &tm_t);
  return buf;
}

std::string FormatSize(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string ProgressLine(std::string_view label, uint64_t done, uint64_t total, int width) {
  int pct = total == 0 ? 100 : static_cast<int>(std::min<uint64_t>(done, total) * 100 / total);
  std::string tail = " " + std::to_string(pct) + "%  " + FormatSize(done) + "/" + FormatSize(total);
  std::string name(label.substr(0, 24));
  int bar = width - static_cast<int>(name.size() + tail.size()) - 3;
  if (bar > 40) bar = 40;
  std::string out = name;
  if (bar >= 5) {
    int filled = bar * pct / 100;
    out += " [" + std::string(static_cast<size_t>(filled), '#') +
           std::string(static_cast<size_t>(bar - filled), '.') + "]";
  }
  return out + tail;
}

std::string RenderMessage(const Json& msg, const RenderContext& ctx) {
  Paint p{ctx.color};
  std::string head = Head(msg, ctx, p);
  std::string from = Str(msg, "from");
  std::string who = "<" + p.Nick(from) + "> ";
  std::string body;
  if (Bool(msg, "deleted", false)) {
    body = p.Dim("(deleted)");
  } else if (msg.contains("e2e_error")) {
    body = p.Red("[encrypted: " + Str(msg, "e2e_error") + "]");
  } else {
    body = Text(msg, "text");
  }
  if (msg.contains("reply_to"))
    body = p.Dim("re [" + std::to_string(Int(msg, "reply_to")) + "] ") + body;
  const Json file = msg.value("file", Json());
  if (file.is_object()) {
    std::string f = "[file " + Str(file, "name") + ", " +
                    FormatSize(static_cast<uint64_t>(Int(file, "size"))) + ": /get " +
                    Str(file, "file_id") + "]";
    body = body.empty() ? p.Yellow(f) : body + " " + p.Yellow(f);
  }
  if (msg.contains("edited_ts") && !Bool(msg, "deleted", false)) body += p.Dim(" (edited)");
  const Json reactions = msg.value("reactions", Json());
  if (reactions.is_object() && !reactions.empty()) {
    std::string r;
    for (const auto& [emoji, users] : reactions.items()) {
      r += (r.empty() ? "" : " ") + Sanitize(emoji, false) + std::to_string(users.size());
    }
    body += " " + p.Dim("{" + r + "}");
  }
  return head + who + Indent(body, 4);
}

std::string RenderMoment(const Json& m, const RenderContext& ctx) {
  Paint p{ctx.color};
  std::string out = p.Magenta("[moment " + m.value("moment_id", Json(0)).dump() + "]") + " ";
  int64_t ts = Int(m, "ts");
  if (ts > 0) out += p.Dim(FormatTime(ts, ctx.now_ms)) + " ";
  out += "<" + p.Nick(Str(m, "author")) + "> " + Indent(Text(m, "text"), 4);
  if (m.contains("likes")) {
    out +=
        p.Dim(" (" + std::to_string(Int(m, "likes")) + (Int(m, "likes") == 1 ? " like" : " likes") +
              (Bool(m, "liked", false) ? ", you like it" : "") + ")");
  }
  const Json comments = m.value("comments", Json());
  if (comments.is_array()) {
    for (const Json& c : comments) {
      out += "\n    <" + p.Nick(Str(c, "user")) + "> " + Indent(Text(c, "text"), 6);
    }
  }
  return out;
}

std::string RenderEvent(const Json& ev, const RenderContext& ctx) {
  Paint p{ctx.color};
  std::string type = ev.value("type", "");
  if (type == "msg") return RenderMessage(ev, ctx);
  if (type == "msg.edited") {
    std::string body = ev.contains("e2e_error") ? p.Red("[encrypted: " + Str(ev, "e2e_error") + "]")
                                                : Text(ev, "text");
    return Head(ev, ctx, p) + p.Dim("(edited) ") + Indent(body, 4);
  }
  if (type == "msg.deleted") return Head(ev, ctx, p) + p.Dim("(deleted)");
  if (type == "reaction") {
    return Head(ev, ctx, p) + Str(ev, "user") +
           (Bool(ev, "on", true) ? " reacted " : " unreacted ") + Str(ev, "emoji");
  }
  if (type == "member.joined" || type == "member.left") {
    return p.Cyan(ConvLabel(Str(ev, "conv"), ctx.self)) + " " +
           p.Dim(Str(ev, "user") + (type == "member.joined" ? " joined" : " left"));
  }
  if (type == "presence") {
    std::string s = Str(ev, "status"), note = Str(ev, "note");
    std::string what = s == "offline" ? " went offline" : " is " + s;
    return p.Dim(Str(ev, "user") + what + (note.empty() ? "" : " (" + note + ")"));
  }
  if (type == "signal") return RenderSignal(ev, p);
  if (type == "moment") return RenderMoment(ev, ctx);
  if (type == "moment.edited") {
    return p.Magenta("[moment " + ev.value("moment_id", Json(0)).dump() + "]") + " " +
           Str(ev, "author") + " edited: " + Text(ev, "text");
  }
  if (type == "moment.deleted") {
    return p.Magenta("[moment " + ev.value("moment_id", Json(0)).dump() + "]") + " deleted by " +
           Str(ev, "author");
  }
  if (type == "notification") {
    std::string body = Text(ev, "body");
    // Likes and comments name their moment in data.moment_id: say which.
    std::string which;
    const Json data = ev.value("data", Json());
    if (data.is_object() && data.contains("moment_id") && data["moment_id"].is_number_integer()) {
      which = p.Dim(" [moment " + data["moment_id"].dump() + "]");
    }
    return p.Yellow("! " + Str(ev, "title")) + which + (body.empty() ? "" : ": " + body);
  }
  if (type.rfind("live.", 0) == 0) return RenderLive(type, ev, ctx, p);
  if (type == "error") {
    return p.Red("error: " + Str(ev, "code") + ": " + Str(ev, "message"));
  }
  if (type == "typing" || type == "receipt" || type == "pong" || type == "caught_up" ||
      type == "file.data" || type == "welcome" || type == "ok") {
    return "";
  }
  return p.Dim(Sanitize(type, false) + " " + Sanitize(ev.dump(), false));
}

}  // namespace slchat

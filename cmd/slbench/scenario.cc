#include "scenario.h"

#include <algorithm>
#include <fstream>
#include <set>

#include "smartlink/auth/jwt.h"
#include "smartlink/net/ws_client.h"
#include "smartlink/util/duration.h"
#include "units.h"

namespace slbench {

using Json = nlohmann::json;
using smartlink::Result;
using smartlink::Status;

namespace {

constexpr const char* kDefaultUrl = "ws://127.0.0.1:8080/ws";
constexpr int kMaxConnections = 1000000;
constexpr int kMinMessageSize = 40;  // room for the timing marker (see traffic.h)

const std::vector<std::string>& PhaseKeys() {
  static const std::vector<std::string> keys = {
      "name",        "warmup",    "duration",    "connections", "ramp",      "rate",  "publishers",
      "direct_rate", "ping_rate", "typing_rate", "file_rate",   "file_size", "churn", "reconnect"};
  return keys;
}

const std::vector<std::string>& GlobalKeys() {
  static const std::vector<std::string> keys = {
      "name",  "description",          "url",          "auth",  "insecure", "ca_file", "prefix",
      "rooms", "rooms_per_connection", "message_size", "drain", "phases"};
  return keys;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

// Reads typed fields of one JSON object; every error names the source and the field's path.
class Reader {
 public:
  Reader(const Json& obj, std::string path, const std::string& source)
      : obj_(obj), path_(std::move(path)), source_(source) {}

  Status Fail(const std::string& key, const std::string& what) const {
    return Status::BadRequest(source_ + ": " + Path(key) + ": " + what);
  }
  std::string Path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const Json* Find(const char* key) const {
    auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }

  Status Int(const char* key, int* out, int min, int max) const {
    const Json* v = Find(key);
    if (!v) return Status::Ok();
    if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max) {
      return Fail(key, "must be a whole number from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", not " + v->dump());
    }
    *out = static_cast<int>(v->get<int64_t>());
    return Status::Ok();
  }

  Status Rate(const char* key, double* out) const {
    const Json* v = Find(key);
    if (!v) return Status::Ok();
    if (!v->is_number() || !(v->get<double>() >= 0) || v->get<double>() > 1e8) {
      return Fail(key, "must be a number of operations per second >= 0, not " + v->dump());
    }
    *out = v->get<double>();
    return Status::Ok();
  }

  Status Bool(const char* key, bool* out) const {
    const Json* v = Find(key);
    if (!v) return Status::Ok();
    if (!v->is_boolean()) return Fail(key, "must be true or false, not " + v->dump());
    *out = v->get<bool>();
    return Status::Ok();
  }

  Status String(const char* key, std::string* out) const {
    const Json* v = Find(key);
    if (!v) return Status::Ok();
    if (!v->is_string()) return Fail(key, "must be a string, not " + v->dump());
    *out = v->get<std::string>();
    return Status::Ok();
  }

  // A duration: "10s", "250ms", or a number of seconds.
  Status Duration(const char* key, int64_t* out) const {
    const Json* v = Find(key);
    if (!v) return Status::Ok();
    std::optional<int64_t> ns;
    if (v->is_number() && v->get<double>() >= 0 && v->get<double>() < 1e9) {
      ns = static_cast<int64_t>(v->get<double>() * kNsPerSec);
    } else if (v->is_string()) {
      ns = ParseDurationNs(v->get<std::string>(), kNsPerSec);
    }
    if (!ns)
      return Fail(key, "must be a duration such as \"500ms\", \"10s\" or 2.5, not " + v->dump());
    *out = *ns;
    return Status::Ok();
  }

  // A size: "64KiB", "1MiB", or a number of bytes.
  Status Size(const char* key, int64_t* out, int64_t min, int64_t max) const {
    const Json* v = Find(key);
    if (!v) return Status::Ok();
    std::optional<int64_t> n;
    if (v->is_number_integer()) {
      n = v->get<int64_t>();
    } else if (v->is_string()) {
      n = smartlink::ParseBytes(v->get<std::string>());
    }
    if (!n || *n < min || *n > max) {
      return Fail(key, "must be a size from " + std::to_string(min) + " to " + std::to_string(max) +
                           " bytes such as 4000 or \"64KiB\", not " + v->dump());
    }
    *out = *n;
    return Status::Ok();
  }

  Status CheckKnown(const std::vector<std::string>& allowed) const {
    for (const auto& [key, value] : obj_.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string best;
      size_t best_d = 3;
      for (const auto& a : allowed) {
        size_t d = EditDistance(key, a);
        if (d < best_d) best_d = d, best = a;
      }
      return Fail(key, "unknown field" + (best.empty() ? "" : " (did you mean '" + best + "'?)"));
    }
    return Status::Ok();
  }

 private:
  const Json& obj_;
  std::string path_;
  const std::string& source_;
};

#define SLB_TRY(expr)        \
  do {                       \
    Status _s = (expr);      \
    if (!_s.ok()) return _s; \
  } while (0)

Status ReadPhase(const Reader& r, Phase* p) {
  SLB_TRY(r.String("name", &p->name));
  SLB_TRY(r.Bool("warmup", &p->warmup));
  SLB_TRY(r.Duration("duration", &p->duration_ns));
  SLB_TRY(r.Int("connections", &p->connections, 0, kMaxConnections));
  SLB_TRY(r.Duration("ramp", &p->ramp_ns));
  SLB_TRY(r.Rate("rate", &p->rate));
  SLB_TRY(r.Int("publishers", &p->publishers, 1, kMaxConnections));
  SLB_TRY(r.Rate("direct_rate", &p->direct_rate));
  SLB_TRY(r.Rate("ping_rate", &p->ping_rate));
  SLB_TRY(r.Rate("typing_rate", &p->typing_rate));
  SLB_TRY(r.Rate("file_rate", &p->file_rate));
  SLB_TRY(r.Size("file_size", &p->file_size, 1, int64_t{1} << 40));
  SLB_TRY(r.Int("churn", &p->churn, 0, 100000));
  SLB_TRY(r.Bool("reconnect", &p->reconnect));
  return Status::Ok();
}

Status ReadAuth(const Json& j, const std::string& source, Scenario* s) {
  const Json* v = j.contains("auth") && !j["auth"].is_null() ? &j["auth"] : nullptr;
  if (!v) return Status::Ok();
  std::string mode;
  Json obj = v->is_string() ? Json{{"mode", *v}} : *v;
  if (!obj.is_object()) {
    return Status::BadRequest(source + ": auth: must be \"open\", \"token\" or an object, not " +
                              v->dump());
  }
  Reader r(obj, "auth", source);
  SLB_TRY(r.CheckKnown({"mode", "secret", "secret_file", "ttl"}));
  SLB_TRY(r.String("mode", &mode));
  std::string secret_file;
  SLB_TRY(r.String("secret", &s->secret));
  SLB_TRY(r.String("secret_file", &secret_file));
  SLB_TRY(r.Duration("ttl", &s->token_ttl_ns));
  if (mode.empty()) mode = s->secret.empty() && secret_file.empty() ? "open" : "token";
  if (mode == "open") {
    s->auth = AuthMode::kOpen;
    return Status::Ok();
  }
  if (mode != "token") return r.Fail("mode", "must be \"open\" or \"token\", not \"" + mode + "\"");
  s->auth = AuthMode::kToken;
  if (!secret_file.empty()) {
    if (!s->secret.empty()) return r.Fail("secret_file", "give secret or secret_file, not both");
    std::ifstream in(secret_file, std::ios::binary);
    if (!in) return r.Fail("secret_file", "cannot read " + secret_file);
    s->secret.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    while (!s->secret.empty() && (s->secret.back() == '\n' || s->secret.back() == '\r')) {
      s->secret.pop_back();
    }
  }
  if (s->secret.size() < smartlink::auth::kMinSecretBytes) {
    return r.Fail("secret",
                  "token auth needs the server's HS256 secret, at least 32 bytes "
                  "(auth.secret, auth.secret_file or --jwt-secret)");
  }
  if (s->token_ttl_ns < kNsPerSec) return r.Fail("ttl", "must be at least 1s");
  return Status::Ok();
}

bool ValidName(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

// Checks what the fields cannot check one at a time.
Status Validate(const Scenario& s, const std::string& source) {
  auto fail = [&](const std::string& where, const std::string& what) {
    return Status::BadRequest(source + ": " + where + ": " + what);
  };
  if (s.url.rfind("ws://", 0) != 0 && s.url.rfind("wss://", 0) != 0) {
    return fail("url", "must start with ws:// or wss://, not \"" + s.url + "\"");
  }
  if (std::string why; !smartlink::net::CheckServerUrl(s.url, &why)) {
    return fail("url", why + ": \"" + s.url + "\"");
  }
  if (s.prefix.size() > 40 || !ValidName(s.prefix)) {
    return fail("prefix", "must be at most 40 characters of A-Z a-z 0-9 _ . -");
  }
  if (s.rooms > 0 && s.rooms_per_connection > s.rooms) {
    return fail("rooms_per_connection", "is " + std::to_string(s.rooms_per_connection) +
                                            " but there are only " + std::to_string(s.rooms) +
                                            " rooms");
  }
  if (s.phases.empty()) return fail("phases", "must list at least one phase");
  int open = 0;  // connections open when a phase starts
  for (size_t i = 0; i < s.phases.size(); ++i) {
    const Phase& p = s.phases[i];
    std::string where = "phases[" + std::to_string(i) + "] (" + p.name + ")";
    if (p.duration_ns <= 0) return fail(where, "duration must be longer than 0");
    if (p.ramp_ns > p.duration_ns) return fail(where, "ramp is longer than the phase");
    bool publishes = p.rate > 0 || p.typing_rate > 0 || p.file_rate > 0;
    if (publishes && s.rooms == 0) {
      return fail(where, "rate, typing_rate and file_rate need rooms (set \"rooms\")");
    }
    if (publishes && static_cast<int64_t>(p.publishers) * s.rooms > p.connections) {
      return fail(where, std::to_string(p.publishers) + " publishers in each of " +
                             std::to_string(s.rooms) + " rooms need " +
                             std::to_string(static_cast<int64_t>(p.publishers) * s.rooms) +
                             " connections, but connections is " + std::to_string(p.connections));
    }
    if (p.direct_rate > 0 && p.connections < 2) {
      return fail(where, "direct_rate needs at least 2 connections");
    }
    if (p.ping_rate > 0 && p.connections < 1) {
      return fail(where, "ping_rate needs at least 1 connection");
    }
    if (p.reconnect && open == 0) {
      return fail(where, "reconnect needs connections opened by an earlier phase");
    }
    open = p.connections;
  }
  return Status::Ok();
}

}  // namespace

int Scenario::MaxConnections() const {
  int n = 0;
  for (const auto& p : phases) n = std::max(n, p.connections);
  return n;
}

int Scenario::MembersOf(int room, int connections) const {
  if (rooms <= 0 || room < 0 || room >= rooms) return 0;
  // Connection i is in rooms i, i+1, ..., i+k-1 (mod rooms): room r holds the connections
  // congruent to r, r-1, ..., r-k+1 modulo rooms.
  int n = 0;
  for (int j = 0; j < rooms_per_connection; ++j) {
    int first = ((room - j) % rooms + rooms) % rooms;
    if (first < connections) n += (connections - 1 - first) / rooms + 1;
  }
  return n;
}

std::vector<int> Scenario::RoomsOf(int index) const {
  std::vector<int> out;
  if (rooms <= 0) return out;
  for (int j = 0; j < rooms_per_connection; ++j) out.push_back((index + j) % rooms);
  return out;
}

Result<Scenario> ParseScenario(const Json& j, const std::string& source) {
  if (!j.is_object()) {
    return Status::BadRequest(source + ": a scenario must be a JSON object, not " +
                              std::string(j.type_name()));
  }
  Reader top(j, "", source);
  std::vector<std::string> allowed = GlobalKeys();
  allowed.insert(allowed.end(), PhaseKeys().begin(), PhaseKeys().end());
  SLB_TRY(top.CheckKnown(allowed));

  Scenario s;
  s.url = kDefaultUrl;
  s.token_ttl_ns = 3600 * kNsPerSec;
  s.drain_ns = 5 * kNsPerSec;
  SLB_TRY(top.String("name", &s.name));
  if (s.name.empty()) s.name = source;
  SLB_TRY(top.String("description", &s.description));
  SLB_TRY(top.String("url", &s.url));
  SLB_TRY(ReadAuth(j, source, &s));
  SLB_TRY(top.Bool("insecure", &s.insecure));
  SLB_TRY(top.String("ca_file", &s.ca_file));
  SLB_TRY(top.String("prefix", &s.prefix));
  SLB_TRY(top.Int("rooms", &s.rooms, 0, kMaxConnections));
  SLB_TRY(top.Int("rooms_per_connection", &s.rooms_per_connection, 1, 1000));
  int64_t size = s.message_size;
  SLB_TRY(top.Size("message_size", &size, kMinMessageSize, 1 << 20));
  s.message_size = static_cast<int>(size);
  SLB_TRY(top.Duration("drain", &s.drain_ns));

  // Top-level phase fields are the defaults of every phase.
  Phase defaults;
  defaults.duration_ns = 10 * kNsPerSec;
  defaults.connections = 10;
  SLB_TRY(ReadPhase(top, &defaults));
  defaults.name.clear();
  const Json* phases = top.Find("phases");
  if (!phases) {
    Phase p = defaults;
    p.name = "main";
    s.phases.push_back(p);
  } else if (!phases->is_array()) {
    return top.Fail("phases", "must be an array of phase objects, not " + phases->dump());
  } else {
    for (size_t i = 0; i < phases->size(); ++i) {
      const Json& pj = (*phases)[i];
      std::string path = "phases[" + std::to_string(i) + "]";
      if (!pj.is_object()) {
        return Status::BadRequest(source + ": " + path + ": must be an object, not " + pj.dump());
      }
      Reader r(pj, path, source);
      SLB_TRY(r.CheckKnown(PhaseKeys()));
      Phase p = defaults;
      SLB_TRY(ReadPhase(r, &p));
      if (p.name.empty()) p.name = "phase" + std::to_string(i + 1);
      s.phases.push_back(p);
    }
  }
  SLB_TRY(Validate(s, source));
  return s;
}

namespace {

// Sets the value at parts[k...] under `node`; "*" stands for every element of an array.
Status Assign(Json& node, const std::vector<std::string>& parts, size_t k, const Json& value,
              const std::string& path) {
  if (k == parts.size()) {
    node = value;
    return Status::Ok();
  }
  const std::string& part = parts[k];
  if (part.empty()) return Status::BadRequest("--set: empty name in '" + path + "'");
  if (part == "*" && !node.is_array()) {
    return Status::BadRequest("--set: '" + path +
                              "': '*' stands for every element of an array, "
                              "and there is none here" +
                              (k == 1 && parts[0] == "phases"
                                   ? std::string(" (this scenario has no phases: set the field "
                                                 "itself, such as --set ") +
                                         parts.back() + "=...)"
                                   : std::string()));
  }
  if (node.is_array()) {
    if (part == "*") {
      for (Json& e : node) SLB_TRY(Assign(e, parts, k + 1, value, path));
      return Status::Ok();
    }
    bool index = std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!index || part.size() > 6 || std::stoul(part) >= node.size()) {
      return Status::BadRequest("--set: '" + path + "': no element " + part + " in an array of " +
                                std::to_string(node.size()));
    }
    return Assign(node[std::stoul(part)], parts, k + 1, value, path);
  }
  if (node.is_null()) node = Json::object();
  if (!node.is_object()) {
    return Status::BadRequest("--set: '" + path + "': '" + part + "' is inside a " +
                              std::string(node.type_name()));
  }
  return Assign(node[part], parts, k + 1, value, path);
}

}  // namespace

Status ApplyOverride(Json& j, const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::BadRequest("--set wants PATH=VALUE, such as rate=5000, not '" + assignment +
                              "'");
  }
  std::string path = assignment.substr(0, eq);
  std::string text = assignment.substr(eq + 1);
  Json value = Json::parse(text, nullptr, false);
  if (value.is_discarded()) value = text;
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  // A top-level field that every phase sets for itself would change nothing.
  auto phases = j.find("phases");
  if (parts.size() == 1 && phases != j.end() && phases->is_array() && !phases->empty() &&
      std::all_of(phases->begin(), phases->end(),
                  [&](const Json& p) { return p.is_object() && p.contains(path); })) {
    return Status::BadRequest("--set " + path + ": every phase of this scenario sets its own " +
                              path + ", so this would change nothing; use --set 'phases.*." + path +
                              "=" + text + "' (or phases.N." + path + " for one)");
  }
  return Assign(j, parts, 0, value, path);
}

Result<Scenario> LoadScenario(const std::string& text, const std::string& source,
                              const std::vector<std::string>& overrides) {
  Json j;
  // nlohmann keeps the last of two equal keys; a scenario that sets a field twice was
  // probably meant otherwise, so it is refused (RFC 8259 leaves this to the reader).
  std::vector<std::set<std::string>> keys;  // of each object being read
  std::string duplicate;
  auto check = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) keys.emplace_back();
    if (event == Json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == Json::parse_event_t::key && !keys.empty() &&
        !keys.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  try {
    j = Json::parse(text, check);
  } catch (const Json::parse_error& e) {
    // Turn the byte offset into a line and column.
    size_t line = 1, col = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    size_t colon = what.rfind(": ");
    if (colon != std::string::npos) what = what.substr(colon + 2);
    return Status::BadRequest(source + ":" + std::to_string(line) + ":" + std::to_string(col) +
                              ": invalid JSON: " + what);
  }
  if (!duplicate.empty()) {
    return Status::BadRequest(source + ": \"" + duplicate +
                              "\" is set twice in one object; give each field once");
  }
  for (const auto& o : overrides) SLB_TRY(ApplyOverride(j, o));
  return ParseScenario(j, source);
}

Json ScenarioToJson(const Scenario& s) {
  auto secs = [](int64_t ns) { return static_cast<double>(ns) / kNsPerSec; };
  Json phases = Json::array();
  for (const Phase& p : s.phases) {
    phases.push_back({{"name", p.name},
                      {"warmup", p.warmup},
                      {"duration", secs(p.duration_ns)},
                      {"connections", p.connections},
                      {"ramp", secs(p.ramp_ns)},
                      {"rate", p.rate},
                      {"publishers", p.publishers},
                      {"direct_rate", p.direct_rate},
                      {"ping_rate", p.ping_rate},
                      {"typing_rate", p.typing_rate},
                      {"file_rate", p.file_rate},
                      {"file_size", p.file_size},
                      {"churn", p.churn},
                      {"reconnect", p.reconnect}});
  }
  Json auth = {{"mode", s.auth == AuthMode::kOpen ? "open" : "token"}};
  if (s.auth == AuthMode::kToken) auth["ttl"] = secs(s.token_ttl_ns);  // never the secret
  return {{"name", s.name},
          {"description", s.description},
          {"url", s.url},
          {"auth", auth},
          {"insecure", s.insecure},
          {"ca_file", s.ca_file},
          {"prefix", s.prefix},
          {"rooms", s.rooms},
          {"rooms_per_connection", s.rooms_per_connection},
          {"message_size", s.message_size},
          {"drain", secs(s.drain_ns)},
          {"phases", phases}};
}

}  // namespace slbench

#include "transfer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "render.h"

namespace slchat {

namespace {

constexpr int kWindow = 4;  // chunks in flight
// The most a pipe or device is read for an upload when the server's welcome does not say
// its largest file (limits.max_file_bytes, which slserver sends): slserver's default
// --max-file.
constexpr int64_t kDefaultMaxFileBytes = 100ll << 20;
constexpr size_t kSpoolRead = 256 * 1024;  // bytes per read while copying
constexpr int kSpoolReadsPerWake = 16;     // then back to the event loop

std::string ErrorText(const Json& reply) {
  return reply.value("code", "error") + ": " + reply.value("message", "");
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

// Transfers are shared with the callbacks of their in-flight requests, which may outlive
// their entry in the maps (a reply arriving after a failure); hence shared_ptr.
struct Transfers::UploadJob {
  std::string path, name, to, file_id, sha256;
  int fd = -1;
  int in = -1;           // a pipe or device being copied into `fd` (a temporary file)
  int64_t max_size = 0;  // ...up to this many bytes
  smartlink::crypto::Sha256Stream spool_hash;
  int64_t size = 0;
  int64_t chunk = 256 * 1024;
  int64_t next = 0;     // next offset to send
  int64_t acked = 0;    // bytes the server confirmed
  int64_t resync = -1;  // offset the server wants after a conflict
  int in_flight = 0;
  bool paused = false;  // connection lost; resumes on reconnect
  bool done = false;
  Done on_done;
  ~UploadJob() {
    if (fd >= 0) close(fd);
    if (in >= 0) close(in);
  }
};

struct Transfers::DownloadJob {
  std::string file_id, path, tmp, name, sha256;
  FILE* out = nullptr;
  bool to_stdout = false;
  int64_t size = -1;
  int64_t received = 0;
  bool done = false;
  smartlink::crypto::Sha256Stream hash;
  Done on_done;
  ~DownloadJob() {
    if (out && !to_stdout) fclose(out);
  }
};

std::string GuessMime(const std::string& name) {
  static const std::map<std::string, std::string> kTypes = {
      {"txt", "text/plain"},      {"md", "text/markdown"},      {"csv", "text/csv"},
      {"html", "text/html"},      {"json", "application/json"}, {"pdf", "application/pdf"},
      {"zip", "application/zip"}, {"gz", "application/gzip"},   {"tar", "application/x-tar"},
      {"png", "image/png"},       {"jpg", "image/jpeg"},        {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},       {"webp", "image/webp"},       {"svg", "image/svg+xml"},
      {"mp3", "audio/mpeg"},      {"ogg", "audio/ogg"},         {"wav", "audio/wav"},
      {"mp4", "video/mp4"},       {"webm", "video/webm"},       {"sdp", "application/sdp"}};
  size_t dot = name.rfind('.');
  if (dot == std::string::npos) return "application/octet-stream";
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  auto it = kTypes.find(ext);
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

std::string BaseName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

Transfers::~Transfers() {
  for (auto& [fd, u] : spools_) loop_->Unwatch(fd);
}

std::string Transfers::Status() const {
  std::string s;
  for (const auto& [k, u] : uploads_) {
    int pct = u->size ? static_cast<int>(u->acked * 100 / u->size) : 0;
    s += (s.empty() ? "" : " ") + std::string("up ") + u->name + " " + std::to_string(pct) + "%";
  }
  for (const auto& [k, d] : downloads_) {
    int pct = d->size > 0 ? static_cast<int>(d->received * 100 / d->size) : 0;
    s += (s.empty() ? "" : " ") + std::string("down ") + d->name + " " + std::to_string(pct) + "%";
  }
  return s;
}

void Transfers::Upload(const std::string& path, const std::string& to, Done done) {
  auto u = std::make_shared<UploadJob>();
  u->path = path;
  u->name = BaseName(path);
  u->to = to;
  u->on_done = std::move(done);
  u->fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (u->fd < 0 || fstat(u->fd, &st) != 0) {
    u->on_done(false, Json{{"message", "cannot read " + path + ": " + strerror(errno)}});
    return;
  }
  if (S_ISCHR(st.st_mode) && isatty(u->fd)) {
    u->on_done(false, Json{{"message", "cannot upload " + path +
                                           ": it is a terminal (pipe the data in instead)"}});
    return;
  }
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) return Spool(u);
  if (!S_ISREG(st.st_mode)) {
    u->on_done(false, Json{{"message",
                            "cannot upload " + path + ": " +
                                (S_ISDIR(st.st_mode) ? "it is a directory"
                                                     : "not a file, pipe or character device")}});
    return;
  }
  u->size = st.st_size;
  // Hash first: the server checks it at file.end, and a resumed upload needs it too.
  smartlink::crypto::Sha256Stream hash;
  std::string buf(1 << 16, '\0');
  for (;;) {
    ssize_t n = read(u->fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      u->on_done(false, Json{{"message", "cannot read " + path + ": " + strerror(errno)}});
      return;
    }
    if (n == 0) break;
    hash.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  u->sha256 = smartlink::crypto::Hex(hash.Finish());
  StartUpload(u);
}

// A pipe or device can be read only once, from the start: its bytes go to a temporary file
// (unlinked at once, so nothing is left behind), which is then uploaded, and resumed, as a
// regular file is. The input is read as the event loop sees it ready, so that the session
// keeps answering and signals are handled meanwhile.
void Transfers::Spool(const std::shared_ptr<UploadJob>& u) {
  u->in = u->fd;
  const char* tmpdir = getenv("TMPDIR");
  std::string dir = tmpdir && *tmpdir ? tmpdir : "/tmp";
  std::string tmp = dir + "/slchat-upload-XXXXXX";
  u->fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (u->fd < 0) {
    u->on_done(false, Json{{"message", "cannot upload " + u->path + ": cannot make a file in " +
                                           dir + " to hold it: " + strerror(errno)}});
    return;
  }
  unlink(tmp.c_str());
  u->max_size = kDefaultMaxFileBytes;
  const Json& limits = session_->limits();
  auto max = limits.find("max_file_bytes");
  if (max != limits.end() && max->is_number_integer() && max->get<int64_t>() >= 0) {
    u->max_size = max->get<int64_t>();
  }
  int flags = fcntl(u->in, F_GETFL);
  if (flags >= 0) fcntl(u->in, F_SETFL, flags | O_NONBLOCK);
  spools_[u->in] = u;
  loop_->Watch(u->in, [this, u] { ReadSpool(u); });
}

void Transfers::ReadSpool(const std::shared_ptr<UploadJob>& u) {
  std::string buf(kSpoolRead, '\0');
  for (int reads = 0; reads < kSpoolReadsPerWake; ++reads) {
    ssize_t n = read(u->in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0) return EndSpool(u, "cannot read " + u->path + ": " + strerror(errno));
    if (n == 0) return EndSpool(u, "");
    if (u->size + n > u->max_size) {
      bool told = session_->limits().contains("max_file_bytes");
      return EndSpool(u, "cannot upload " + u->path + ": it holds more than " +
                             FormatSize(static_cast<uint64_t>(u->max_size)) +
                             (told ? ", the server's largest file"
                                   : ", slserver's default largest file (--max-file)"));
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(u->fd, buf.data() + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        return EndSpool(u, "cannot upload " + u->path +
                               ": cannot write its temporary copy: " + strerror(errno));
      }
      off += w;
    }
    u->spool_hash.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
    u->size += n;
  }
}

void Transfers::EndSpool(const std::shared_ptr<UploadJob>& u, const std::string& error) {
  loop_->Unwatch(u->in);
  spools_.erase(u->in);
  close(u->in);
  u->in = -1;
  if (!error.empty()) {
    u->on_done(false, Json{{"message", error}});
    return;
  }
  u->sha256 = smartlink::crypto::Hex(u->spool_hash.Finish());
  StartUpload(u);
}

void Transfers::StartUpload(const std::shared_ptr<UploadJob>& u) {
  uploads_[u->path] = u;
  ui_->Progress(u->name, 0, static_cast<uint64_t>(u->size), false);
  BeginUpload(u);
}

void Transfers::BeginUpload(const std::shared_ptr<UploadJob>& u) {
  Json req = {{"type", "file.begin"}};
  if (u->file_id.empty()) {
    req.update({{"to", u->to}, {"name", u->name}, {"mime", GuessMime(u->name)}, {"size", u->size}});
  } else {
    req["file_id"] = u->file_id;  // resume
  }
  session_->Request(req, [this, u](const Json& r) {
    if (u->done) return;
    if (r.value("type", "") != "ok") {
      if (r.value("code", "") == "unavailable" && !u->file_id.empty()) {
        u->paused = true;
        return;
      }
      FailUpload(u, ErrorText(r));
      return;
    }
    u->file_id = r.value("file_id", u->file_id);
    u->chunk = std::max<int64_t>(1, r.value("chunk_size", u->chunk));
    u->acked = u->next = r.value("received", int64_t{0});
    u->in_flight = 0;
    u->paused = false;
    Pump(u);
  });
}

void Transfers::Pump(const std::shared_ptr<UploadJob>& u) {
  if (u->done || u->paused) return;
  if (u->in_flight == 0 && u->resync >= 0) {
    u->next = u->acked = u->resync;
    u->resync = -1;
  }
  if (u->resync >= 0) return;  // wait for the rest to come back
  while (u->in_flight < kWindow && u->next < u->size) {
    int64_t n = std::min(u->chunk, u->size - u->next);
    std::string data(static_cast<size_t>(n), '\0');
    ssize_t got = pread(u->fd, data.data(), data.size(), u->next);
    if (got != n) {
      FailUpload(u, "cannot read " + u->path + ": " + (got < 0 ? strerror(errno) : "it shrank"));
      return;
    }
    Json header = {{"type", "file.chunk"}, {"file_id", u->file_id}, {"offset", u->next}};
    u->next += n;
    ++u->in_flight;
    session_->RequestBinary(header, std::move(data), [this, u](const Json& r) {
      --u->in_flight;
      if (u->done) return;
      if (r.value("type", "") == "ok") {
        u->acked = std::max(u->acked, r.value("received", u->acked));
        ui_->Progress(u->name, static_cast<uint64_t>(u->acked), static_cast<uint64_t>(u->size),
                      false);
        ui_->Refresh();
        Pump(u);
        return;
      }
      std::string code = r.value("code", "");
      if (code == "unavailable") {
        u->paused = true;  // OnReconnect resumes from what the server has
      } else if (code == "conflict" && r.contains("received")) {
        u->resync = r.value("received", int64_t{0});
        Pump(u);
      } else {
        FailUpload(u, ErrorText(r));
      }
    });
  }
  if (u->in_flight == 0 && u->acked >= u->size) FinishUpload(u);
}

void Transfers::FinishUpload(const std::shared_ptr<UploadJob>& u) {
  u->done = true;
  session_->Request({{"type", "file.end"}, {"file_id", u->file_id}, {"sha256", u->sha256}},
                    [this, u](const Json& r) {
                      uploads_.erase(u->path);
                      ui_->Progress(u->name, static_cast<uint64_t>(u->size),
                                    static_cast<uint64_t>(u->size), true);
                      ui_->Refresh();
                      if (r.value("type", "") != "ok") {
                        u->on_done(false, Json{{"message", ErrorText(r)}});
                        return;
                      }
                      Json result = r;
                      result["sha256"] = u->sha256;
                      u->on_done(true, result);
                    });
}

void Transfers::FailUpload(const std::shared_ptr<UploadJob>& u, const std::string& error) {
  if (u->done) return;
  u->done = true;
  uploads_.erase(u->path);
  ui_->Progress(u->name, static_cast<uint64_t>(u->acked), static_cast<uint64_t>(u->size), true);
  ui_->Refresh();
  u->on_done(false, Json{{"message", "upload of " + u->name + " failed: " + error}});
}

void Transfers::Download(const std::string& file_id, const std::string& path, Done done) {
  if (downloads_.count(file_id)) {
    done(false, Json{{"message", "already downloading " + file_id}});
    return;
  }
  auto d = std::make_shared<DownloadJob>();
  d->file_id = file_id;
  d->path = path;
  d->name = file_id;
  d->to_stdout = path == "-";
  d->on_done = std::move(done);
  downloads_[file_id] = d;
  RequestData(d);
}

void Transfers::RequestData(const std::shared_ptr<DownloadJob>& d) {
  Json req = {{"type", "file.get"}, {"file_id", d->file_id}, {"binary", true}};
  if (d->received > 0) req["offset"] = d->received;
  session_->Request(req, [this, d](const Json& r) {
    if (d->done) return;
    if (r.value("type", "") != "ok") {
      if (r.value("code", "") == "unavailable" && d->out) return;  // resumes on reconnect
      FailDownload(d, ErrorText(r));
      return;
    }
    if (d->out) return;  // a resumed download: the file is open already
    d->size = r.value("size", int64_t{0});
    d->sha256 = r.value("sha256", "");
    d->name = BaseName(r.value("name", d->file_id));
    if (d->name.empty() || d->name == "." || d->name == "..") d->name = d->file_id;
    if (d->to_stdout) {
      d->out = stdout;
    } else {
      // A directory (or a path ending in '/') gets the file under its own name; that name,
      // unlike a PATH given in full, is not written over.
      struct stat st;
      bool dir = !d->path.empty() && (d->path.back() == '/' ||
                                      (stat(d->path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)));
      if (d->path.empty() || dir) {
        d->path = dir ? d->path + (d->path.back() == '/' ? "" : "/") + d->name : d->name;
        if (Exists(d->path)) {
          FailDownload(d, d->path + " exists; give a PATH");
          return;
        }
      }
      d->tmp = d->path + ".part";
      d->out = fopen(d->tmp.c_str(), "wb");
      if (!d->out) {
        FailDownload(d, "cannot write " + d->tmp + ": " + strerror(errno));
        return;
      }
    }
    ui_->Progress(d->name, 0, static_cast<uint64_t>(d->size), false);
    if (d->size == 0) Write(d, 0, "", true);
  });
}

void Transfers::OnBinary(const Json& header, std::string data) {
  if (header.value("type", "") != "file.data") return;
  auto it = downloads_.find(header.value("file_id", ""));
  if (it == downloads_.end()) return;
  std::shared_ptr<DownloadJob> d = it->second;  // Write may erase the map's copy
  Write(d, header.value("offset", int64_t{-1}), data, header.value("last", false));
}

void Transfers::OnFileData(const Json& ev) {
  auto it = downloads_.find(ev.value("file_id", ""));
  if (it == downloads_.end()) return;
  std::shared_ptr<DownloadJob> d = it->second;  // Write may erase the map's copy
  auto bytes = smartlink::crypto::Base64Decode(ev.value("data", ""));
  if (!bytes) {
    FailDownload(d, "the server sent bad base64");
    return;
  }
  Write(d, ev.value("offset", int64_t{-1}), *bytes, ev.value("last", false));
}

void Transfers::Write(const std::shared_ptr<DownloadJob>& d, int64_t offset,
                      const std::string& bytes, bool last) {
  if (d->done || !d->out || offset != d->received) return;  // a repeat after a resume
  if (!bytes.empty() && fwrite(bytes.data(), 1, bytes.size(), d->out) != bytes.size()) {
    FailDownload(d, "cannot write " + (d->to_stdout ? "stdout" : d->tmp) + ": " + strerror(errno));
    return;
  }
  d->hash.Update(bytes);
  d->received += static_cast<int64_t>(bytes.size());
  ui_->Progress(d->name, static_cast<uint64_t>(d->received), static_cast<uint64_t>(d->size), false);
  ui_->Refresh();
  if (!last) return;
  std::string got = smartlink::crypto::Hex(d->hash.Finish());
  if (fflush(d->out) != 0) {
    FailDownload(d, "cannot write " + d->tmp + ": " + strerror(errno));
    return;
  }
  if (!d->sha256.empty() && got != d->sha256) {
    FailDownload(d, "SHA-256 mismatch: expected " + d->sha256 + ", got " + got);
    return;
  }
  if (!d->to_stdout) {
    fclose(d->out);
    d->out = nullptr;
    if (rename(d->tmp.c_str(), d->path.c_str()) != 0) {
      std::string why = strerror(errno);
      unlink(d->tmp.c_str());
      FailDownload(d, "cannot rename " + d->tmp + " to " + d->path + ": " + why);
      return;
    }
  }
  d->done = true;
  downloads_.erase(d->file_id);
  ui_->Progress(d->name, static_cast<uint64_t>(d->received), static_cast<uint64_t>(d->size), true);
  ui_->Refresh();
  d->on_done(true, Json{{"file_id", d->file_id},
                        {"path", d->to_stdout ? "-" : d->path},
                        {"name", d->name},
                        {"size", d->received},
                        {"sha256", got}});
}

void Transfers::FailDownload(const std::shared_ptr<DownloadJob>& d, const std::string& error) {
  if (d->done) return;
  d->done = true;
  downloads_.erase(d->file_id);
  if (d->out && !d->to_stdout) {
    fclose(d->out);
    d->out = nullptr;
    unlink(d->tmp.c_str());
  }
  ui_->Progress(d->name, static_cast<uint64_t>(d->received), static_cast<uint64_t>(d->size), true);
  ui_->Refresh();
  d->on_done(false, Json{{"message", "download of " + d->file_id + " failed: " + error}});
}

void Transfers::OnReconnect() {
  auto uploads = uploads_;  // callbacks may change the maps
  for (auto& [k, u] : uploads) {
    if (!u->done && !u->file_id.empty()) BeginUpload(u);
  }
  auto downloads = downloads_;
  for (auto& [k, d] : downloads) {
    if (!d->done && d->out) RequestData(d);
  }
}

}  // namespace slchat

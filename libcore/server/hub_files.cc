// Files: uploads in chunks (JSON or binary frames), downloads over the socket and HTTP,
// content-addressed storage on disk, expiry.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hub_impl.h"

namespace smartlink::server {

namespace {

constexpr size_t kDownloadHighWater = 1 << 20;  // bytes queued before a download waits

Status Errno(const std::string& what) {
  int e = errno;
  if (e == ENOSPC || e == EDQUOT) return Status::Unavailable(what + ": disk full");
  return Status::Unavailable(what + ": " + strerror(e));
}

Status WriteAll(int fd, std::string_view data, int64_t offset) {
  while (!data.empty()) {
    ssize_t n = pwrite(fd, data.data(), data.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot store the chunk");
    data.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return Status::Ok();
}

bool ReadAt(int fd, std::string* out, size_t n, int64_t offset) {
  out->resize(n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, out->data() + got, n - got, offset + static_cast<int64_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

bool FsyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

// file.data as JSON (base64) or as a binary frame (2-byte header length, header, bytes).
FramePtr FileDataFrame(const std::string& file_id, int64_t offset, std::string_view bytes,
                       bool last, bool binary) {
  Json header = {{"type", "file.data"}, {"file_id", file_id}, {"offset", offset}, {"last", last}};
  if (!binary) {
    header["data"] = crypto::Base64Encode(bytes);
    return MakeFrame(header.dump());
  }
  std::string h = header.dump();
  std::string frame;
  frame.reserve(2 + h.size() + bytes.size());
  frame += static_cast<char>((h.size() >> 8) & 0xFF);
  frame += static_cast<char>(h.size() & 0xFF);
  frame += h;
  frame += bytes;
  return MakeFrame(std::move(frame), true);
}

}  // namespace

std::string Hub::Impl::ContentPath(const std::string& sha256_hex) const {
  return FilesDir() + "/" + sha256_hex.substr(0, 2) + "/" + sha256_hex;
}

// Media types compare without case and without their parameters (RFC 9110 section 8.3.1).
bool Hub::Impl::MimeAllowed(const std::string& mime) const {
  if (opt.file_types.empty()) return true;
  std::string essence = protocol::MimeEssence(mime);
  for (const std::string& given : opt.file_types) {
    std::string pattern = protocol::MimeEssence(given);
    if (pattern == "*" || pattern == "*/*" || pattern == essence) return true;
    if (pattern.size() > 2 && pattern.compare(pattern.size() - 2, 2, "/*") == 0 &&
        essence.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0) {
      return true;
    }
  }
  return false;
}

Status Hub::Impl::PrepareFileDirs() {
  for (const std::string& dir : {FilesDir(), FilesDir() + "/tmp"}) {
    if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) return Errno("cannot create " + dir);
  }
  // Uploads do not survive a restart: their partial files go.
  if (DIR* d = opendir((FilesDir() + "/tmp").c_str())) {
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      unlink((FilesDir() + "/tmp/" + e->d_name).c_str());
    }
    closedir(d);
  }
  return Status::Ok();
}

void Hub::Impl::DropUpload(const std::string& file_id) {
  auto it = uploads.find(file_id);
  if (it == uploads.end()) return;
  if (it->second.fd >= 0) close(it->second.fd);
  unlink(it->second.tmp_path.c_str());
  uploads.erase(it);
}

void Hub::Impl::FileBegin(Conn& c, const Request& req) {
  const auto& b = req.as<protocol::FileBegin>();
  int64_t now = clock.MonotonicMs();
  if (!b.file_id.empty()) {  // resume after a reconnect
    auto it = uploads.find(b.file_id);
    if (it == uploads.end() || it->second.user != c.user) {
      Error(c, req.id, Status::NotFound("no upload " + b.file_id + " in progress"));
      return;
    }
    it->second.last_ms = now;
    Reply(c, req,
          {{"file_id", b.file_id},
           {"chunk_size", opt.chunk_size},
           {"received", it->second.received},
           {"size", it->second.size}});
    return;
  }
  auto conv = protocol::ParseTarget(b.to, c.user);
  if (!conv) {
    Error(c, req.id, Status::BadRequest("field 'to' must be #room or @user"));
    return;
  }
  if (Status s = CheckMember(*conv, c.user); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  if (b.size > opt.max_file_bytes) {
    Error(c, req.id,
          Status::TooLarge("file is " + std::to_string(b.size) + " bytes; the limit is " +
                           std::to_string(opt.max_file_bytes)));
    return;
  }
  if (!MimeAllowed(b.mime)) {
    Error(c, req.id, Status::BadRequest("files of type " + b.mime + " are not accepted here"));
    return;
  }
  size_t mine = 0;
  for (const auto& [id, u] : uploads) mine += u.user == c.user;
  if (mine >= opt.max_uploads_per_user) {
    Error(c, req.id,
          Status::Conflict("too many uploads in progress (" + std::to_string(mine) +
                           "); finish or abandon one"));
    return;
  }
  std::string file_id = crypto::RandomHex(12);
  Upload u;
  u.user = c.user;
  u.conv = conv->str();
  u.name = b.name;
  u.mime = b.mime;
  u.size = b.size;
  u.tmp_path = FilesDir() + "/tmp/" + file_id;
  u.fd = open(u.tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (u.fd < 0) {
    Error(c, req.id, Errno("cannot start the upload"));
    return;
  }
  u.sha = std::make_shared<crypto::Sha256Stream>();
  u.last_ms = now;
  uploads.emplace(file_id, std::move(u));
  Reply(c, req, {{"file_id", file_id}, {"chunk_size", opt.chunk_size}, {"received", 0}});
}

void Hub::Impl::FileChunk(Conn& c, const Request& req) {
  const auto& ch = req.as<protocol::FileChunk>();
  auto it = uploads.find(ch.file_id);
  if (it == uploads.end() || it->second.user != c.user) {
    Error(c, req.id, Status::NotFound("no upload " + ch.file_id + " in progress"));
    return;
  }
  Upload& u = it->second;
  if (ch.offset != u.received) {
    Error(c, req.id, Status::Conflict("expected the chunk at offset " + std::to_string(u.received)),
          {{"received", u.received}});
    return;
  }
  if (ch.data.size() > opt.chunk_size) {
    Error(c, req.id, Status::TooLarge("chunk is larger than chunk_size"));
    return;
  }
  if (u.received + static_cast<int64_t>(ch.data.size()) > u.size) {
    Error(c, req.id, Status::BadRequest("chunk goes past the declared size"));
    return;
  }
  if (Status s = WriteAll(u.fd, ch.data, u.received); !s.ok()) {
    Error(c, req.id, s, {{"received", u.received}});
    return;
  }
  u.sha->Update(ch.data);
  u.received += static_cast<int64_t>(ch.data.size());
  u.last_ms = clock.MonotonicMs();
  Reply(c, req, {{"file_id", ch.file_id}, {"received", u.received}});
}

void Hub::Impl::FileEnd(Conn& c, const Request& req) {
  const auto& e = req.as<protocol::FileEnd>();
  auto it = uploads.find(e.file_id);
  if (it == uploads.end() || it->second.user != c.user) {
    Error(c, req.id, Status::NotFound("no upload " + e.file_id + " in progress"));
    return;
  }
  Upload& u = it->second;
  if (u.received != u.size) {
    Error(c, req.id,
          Status::BadRequest("upload incomplete: " + std::to_string(u.received) + " of " +
                             std::to_string(u.size) + " bytes"),
          {{"received", u.received}});
    return;
  }
  std::string digest = crypto::Hex(u.sha->Finish());
  if (digest != e.sha256) {
    DropUpload(e.file_id);
    Error(c, req.id,
          Status::BadRequest("sha256 does not match the bytes received (" + digest +
                             "); the upload was discarded"));
    return;
  }
  auto conv = protocol::ParseConv(u.conv);
  if (!conv || !CheckMember(*conv, c.user).ok()) {  // left the conversation meanwhile
    DropUpload(e.file_id);
    Error(c, req.id, Status::Forbidden("no longer a member of " + u.conv));
    return;
  }
  Upload up = std::move(u);
  uploads.erase(it);

  int64_t now = clock.NowMs();
  storage::FileRecord rec;
  rec.file_id = e.file_id;
  rec.conv = up.conv;
  rec.uploader = c.user;
  rec.name = up.name;
  rec.mime = up.mime;
  rec.size = up.size;
  rec.sha256 = digest;
  rec.created_ts = now;
  rec.expires_ts = opt.file_ttl_ms > 0 ? now + opt.file_ttl_ms : 0;
  storage::NewMessage nm = NewMessageFor(c.user, *conv, "");
  nm.file = protocol::FileRef{rec.file_id, rec.name, rec.mime, rec.size};
  std::string content = ContentPath(digest);
  std::string tmp = up.tmp_path;
  int fd = up.fd;
  Completion reply = ReplyTo(c.id, req);
  // Frames that come behind the file.end wait for it (a file.get or history of the file
  // sent without waiting for the ok sees it), like those behind a room.join.
  ConnId id = c.id;
  auto done = [this, id, reply, tmp, file_id = rec.file_id, digest](Result<Json> res) {
    if (!res.ok()) {
      unlink(tmp.c_str());
      reply(res.status());
    } else {
      files_stored++;
      (*res)["file_id"] = file_id;
      (*res)["sha256"] = digest;
      reply(std::move(res));
    }
    ReleaseHeld(id);
  };
  // The bytes are made durable on the reader thread (an fsync can take a while); then the
  // writer moves them into place and records the file with its message in one transaction.
  PreWrite place = [rec, content, tmp](storage::Store& s, storage::NewMessage&) -> Status {
    std::string dir = content.substr(0, content.rfind('/'));
    if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) return Errno("cannot create " + dir);
    struct stat st;
    if (stat(content.c_str(), &st) == 0) {
      unlink(tmp.c_str());  // the same bytes are stored already
    } else if (rename(tmp.c_str(), content.c_str()) != 0 || !FsyncDir(dir)) {
      return Errno("cannot store the file");
    }
    return s.InsertFile(rec);
  };
  bool queued = storage.Read<bool>(
      [fd](storage::Store&) -> Result<bool> {
        bool ok = fsync(fd) == 0;
        Status st = ok ? Status::Ok() : Errno("cannot store the file");
        close(fd);
        if (!ok) return st;
        return true;
      },
      [this, nm, conv = *conv, place, done](Result<bool> synced) {
        if (!synced.ok()) {
          done(synced.status());
          return;
        }
        PostMessage(nm, conv, place, done);
      });
  if (!queued) {
    close(fd);
    unlink(tmp.c_str());
    reply(Status::Unavailable("storage is overloaded; try again"));
    return;
  }
  Hold(c);
}

void Hub::Impl::MayReadFile(const std::string& user, const storage::FileRecord& rec,
                            std::function<void(Status)> then) {
  auto conv = protocol::ParseConv(rec.conv);
  if (conv && CheckMember(*conv, user).ok()) {
    then(Status::Ok());
    return;
  }
  // Only the uploader's moments can carry the file, and only the uploader and their
  // followers see those: anyone else is refused without a look at storage.
  auto f = followers.find(rec.uploader);
  if (user != rec.uploader && (f == followers.end() || !f->second.count(user))) {
    then(Status::Forbidden("not a member of the file's conversation"));
    return;
  }
  bool queued =
      storage.Read<bool>([file_id = rec.file_id,
                          user](storage::Store& s) { return s.FileInVisibleMoment(file_id, user); },
                         [then](Result<bool> seen) {
                           if (!seen.ok()) {
                             then(seen.status());
                           } else if (!*seen) {
                             then(Status::Forbidden("not a member of the file's conversation"));
                           } else {
                             then(Status::Ok());
                           }
                         });
  if (!queued) then(Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::FileGet(Conn& c, const Request& req) {
  const auto& g = req.as<protocol::FileGet>();
  ConnId id = c.id;
  bool binary = g.binary || c.prefers_binary;
  bool queued = storage.Read<storage::FileRecord>(
      [file_id = g.file_id](storage::Store& s) { return s.GetFile(file_id); },
      [this, id, req, binary](Result<storage::FileRecord> res) {
        Conn* conn = Find(id);
        if (!conn || conn->closing) return;
        if (!res.ok()) {
          Error(*conn, req.id, res.status());
          return;
        }
        storage::FileRecord rec = std::move(*res);
        MayReadFile(conn->user, rec, [this, id, req, binary, rec](Status may) {
          Conn* reader = Find(id);
          if (!reader || reader->closing) return;
          const auto& get = req.as<protocol::FileGet>();
          if (!may.ok()) {
            Error(*reader, req.id, may);
            return;
          }
          if (rec.expires_ts > 0 && clock.NowMs() >= rec.expires_ts) {
            Error(*reader, req.id, Status::NotFound("file " + get.file_id + " expired"));
            return;
          }
          if (get.offset > rec.size) {
            Error(*reader, req.id, Status::BadRequest("offset is past the end of the file"));
            return;
          }
          Reply(*reader, req,
                {{"file_id", rec.file_id},
                 {"name", rec.name},
                 {"mime", rec.mime},
                 {"size", rec.size},
                 {"sha256", rec.sha256}});
          Conn::Download d;
          d.file_id = rec.file_id;
          d.path = ContentPath(rec.sha256);
          d.size = rec.size;
          d.offset = get.offset;
          d.binary = binary;
          reader->downloads.push_back(std::move(d));
          PumpDownloads(id);
        });
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::PumpDownloads(ConnId id) {
  Conn* c = Find(id);
  if (!c || c->closing) return;
  c->pump_scheduled = false;
  std::string buf;
  while (!c->downloads.empty()) {
    if (transport.BufferedBytes(id) > kDownloadHighWater) {
      c->pump_scheduled = true;
      transport.After(2, [this, id] { PumpDownloads(id); });
      return;
    }
    Conn::Download& d = c->downloads.front();
    size_t n = static_cast<size_t>(
        std::min<int64_t>(static_cast<int64_t>(opt.chunk_size), d.size - d.offset));
    bool ok = true;
    if (n > 0) {
      int fd = open(d.path.c_str(), O_RDONLY | O_CLOEXEC);
      ok = fd >= 0 && ReadAt(fd, &buf, n, d.offset);
      if (fd >= 0) close(fd);
    } else {
      buf.clear();
    }
    if (!ok) {
      Error(*c, nullptr, Status::NotFound("file " + d.file_id + " is no longer stored"));
      c->downloads.pop_front();
      continue;
    }
    bool last = d.offset + static_cast<int64_t>(n) >= d.size;
    Send(*c, FileDataFrame(d.file_id, d.offset, buf, last, d.binary), "file.data");
    d.offset += static_cast<int64_t>(n);
    if (last) c->downloads.pop_front();
  }
}

void Hub::Impl::SweepFiles(int64_t now) {
  // Abandoned uploads.
  std::vector<std::string> idle;
  for (const auto& [id, u] : uploads) {
    if (now - u.last_ms > opt.upload_timeout_ms) idle.push_back(id);
  }
  for (const auto& id : idle) DropUpload(id);
  // Expired files: rows go in a transaction; bytes no other record shares go with them.
  if (opt.file_ttl_ms <= 0) return;
  int64_t wall = clock.NowMs();
  std::string files_dir = FilesDir();
  storage.Write<int64_t>(
      [wall, files_dir](storage::Store& s) -> Result<int64_t> {
        auto expired = s.ExpiredFiles(wall, 200);
        if (!expired.ok()) return expired.status();
        for (const auto& f : *expired) {
          if (Status st = s.DeleteFile(f.file_id); !st.ok()) return st;
          auto refs = s.CountFilesWithHash(f.sha256);
          if (!refs.ok()) return refs.status();
          if (*refs == 0) {
            unlink((files_dir + "/" + f.sha256.substr(0, 2) + "/" + f.sha256).c_str());
          }
        }
        return static_cast<int64_t>(expired->size());
      },
      [this](Result<int64_t> n) {
        if (n.ok() && *n > 0) {
          files_stored -= *n;
          log("info", "expired " + std::to_string(*n) + " files");
        }
      });
}

void Hub::Impl::HttpFile(const std::string& user, const std::string& file_id,
                         HttpResponder respond) {
  auto shared = std::make_shared<HttpResponder>(std::move(respond));
  auto error = [shared](int status, const Status& s) {
    HttpResponse r;
    r.status = status;
    r.body = Json({{"error", s.code_name()}, {"message", s.message()}}).dump() + "\n";
    (*shared)(std::move(r));
  };
  bool queued = storage.Read<storage::FileRecord>(
      [file_id](storage::Store& s) { return s.GetFile(file_id); },
      [this, user, shared, error](Result<storage::FileRecord> res) {
        if (!res.ok()) {
          error(404, res.status());
          return;
        }
        storage::FileRecord rec = std::move(*res);
        MayReadFile(user, rec, [this, shared, error, rec](Status may) {
          if (!may.ok()) {
            error(may.IsForbidden() ? 403 : 503, may);
            return;
          }
          SendFileBody(rec, shared, error);
        });
      });
  if (!queued) error(503, Status::Unavailable("storage is overloaded"));
}

void Hub::Impl::SendFileBody(const storage::FileRecord& rec, std::shared_ptr<HttpResponder> shared,
                             std::function<void(int, const Status&)> error) {
  if (rec.expires_ts > 0 && clock.NowMs() >= rec.expires_ts) {
    error(404, Status::NotFound("file expired"));
    return;
  }
  std::string path = ContentPath(rec.sha256);
  bool queued_read = storage.Read<std::string>(
      [path, size = rec.size](storage::Store&) -> Result<std::string> {
        int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        std::string body;
        bool ok = fd >= 0 && ReadAt(fd, &body, static_cast<size_t>(size), 0);
        if (fd >= 0) close(fd);
        if (!ok) return Status::NotFound("file is no longer stored");
        return body;
      },
      [shared, error, rec](Result<std::string> body) {
        if (!body.ok()) {
          error(404, body.status());
          return;
        }
        HttpResponse r;
        r.content_type = rec.mime;
        r.body = std::move(*body);
        std::string quoted;
        for (char ch : rec.name) quoted += (ch == '"' || ch == '\\') ? '_' : ch;
        r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + quoted + "\"");
        r.headers.emplace_back("X-Content-Type-Options", "nosniff");
        r.headers.emplace_back("Cache-Control", "private, max-age=0");
        r.headers.emplace_back("X-Content-SHA256", rec.sha256);
        (*shared)(std::move(r));
      });
  if (!queued_read) error(503, Status::Unavailable("storage is overloaded"));
}

}  // namespace smartlink::server

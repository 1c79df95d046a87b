// Worker: file transfers (PROTOCOL.md "Files"): file.begin, chunks in binary frames with a
// window of a few chunks in flight, file.end with the SHA-256 of the whole file; then
// file.get with binary file.data, whose bytes must hash to the same SHA-256.

#include <openssl/evp.h>

#include <algorithm>

#include "json_scan.h"
#include "units.h"
#include "worker.h"

namespace slbench {

namespace {

constexpr int kChunksInFlight = 4;
constexpr int64_t kDefaultChunk = 256 * 1024;

}  // namespace

Worker::Upload::Upload() : sha(EVP_MD_CTX_new()), down_sha(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(sha, EVP_sha256(), nullptr);
  EVP_DigestInit_ex(down_sha, EVP_sha256(), nullptr);
}

Worker::Upload::~Upload() {
  EVP_MD_CTX_free(sha);
  EVP_MD_CTX_free(down_sha);
}

namespace {

std::string FinalHex(evp_md_ctx_st* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, digest, &n);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xF];
  }
  return hex;
}

}  // namespace

void Worker::StartUpload(Conn& c, int64_t intended_ns) {
  auto u = std::make_unique<Upload>();
  u->intended_ns = intended_ns;
  size_t phase =
      std::min(static_cast<size_t>(plan_.PhaseAt(intended_ns)), plan_.scenario.phases.size() - 1);
  u->size = plan_.scenario.phases[phase].file_size;
  u->room = c.rooms.empty() ? 0 : c.rooms[0];
  uint64_t id = Request(c, Req::kFileBegin, intended_ns, 0);
  Write(c, "{\"type\":\"file.begin\",\"id\":" + std::to_string(id) + ",\"to\":\"#" +
               plan_.RoomName(u->room) + "\",\"name\":\"slbench.bin\"," +
               "\"mime\":\"application/octet-stream\",\"size\":" + std::to_string(u->size) + "}");
  c.upload = std::move(u);
}

void Worker::PumpUpload(Conn& c) {
  Upload* u = c.upload.get();
  if (!u || c.state != State::kReady) return;
  if (upload_data_.size() < static_cast<size_t>(u->chunk) + 251) {
    upload_data_.resize(static_cast<size_t>(u->chunk) + 251);
    for (size_t i = 0; i < upload_data_.size(); ++i) upload_data_[i] = static_cast<char>(i % 251);
  }
  while (u->in_flight < kChunksInFlight && u->offset < u->size) {
    int64_t len = std::min(u->chunk, u->size - u->offset);
    std::string_view data(upload_data_.data() + u->offset % 251, static_cast<size_t>(len));
    EVP_DigestUpdate(u->sha, data.data(), data.size());
    uint64_t id = Request(c, Req::kFileChunk, u->intended_ns, static_cast<int>(len));
    std::string header = "{\"type\":\"file.chunk\",\"id\":" + std::to_string(id) +
                         ",\"file_id\":\"" + u->file_id +
                         "\",\"offset\":" + std::to_string(u->offset) + "}";
    std::string frame;
    frame.reserve(2 + header.size() + data.size());
    frame += static_cast<char>((header.size() >> 8) & 0xFF);
    frame += static_cast<char>(header.size() & 0xFF);
    frame += header;
    frame += data;
    Write(c, frame, true);
    u->offset += len;
    u->in_flight++;
  }
  if (u->offset == u->size && u->in_flight == 0 && !u->end_sent) {
    u->digest = FinalHex(u->sha);
    const std::string& hex = u->digest;
    uint64_t id = Request(c, Req::kFileEnd, u->intended_ns, 0);
    Write(c, "{\"type\":\"file.end\",\"id\":" + std::to_string(id) + ",\"file_id\":\"" +
                 u->file_id + "\",\"sha256\":\"" + hex + "\"}");
    u->end_sent = true;
  }
}

void Worker::OnUploadReply(Conn& c, const Pending& p, const Fields& f, bool ok) {
  Upload* u = c.upload.get();
  if (!u || p.intended_ns != u->intended_ns) return;  // a reply for an abandoned upload
  if (!ok) {
    Now().refused[static_cast<int>(Op::kFile)]++;
    NextUpload(c);
    return;
  }
  switch (p.kind) {
    case Req::kFileBegin:
      u->file_id = Unquote(f.file_id).value_or("");
      u->chunk =
          std::clamp<int64_t>(ParseInt(f.chunk_size).value_or(kDefaultChunk), 1024, 1024 * 1024);
      PumpUpload(c);
      break;
    case Req::kFileChunk:
      u->in_flight--;
      u->acked += p.aux;
      Now().file_bytes += static_cast<uint64_t>(p.aux);
      PumpUpload(c);
      break;
    case Req::kFileEnd: {
      PhaseStats& s = Now();
      s.answered[static_cast<int>(Op::kFile)]++;
      s.files_done++;
      current_.answered++;
      At(u->intended_ns).file.Record(MonoNs() - u->intended_ns);
      // Now fetch it back, as binary file.data.
      uint64_t id = Request(c, Req::kFileGet, u->intended_ns, 0);
      u->get_ns = MonoNs();
      u->downloading = true;
      Write(c, "{\"type\":\"file.get\",\"id\":" + std::to_string(id) + ",\"file_id\":\"" +
                   u->file_id + "\",\"binary\":true}");
      break;
    }
    case Req::kFileGet:  // the data follows
      break;
    default:
      break;
  }
}

void Worker::OnFileData(Conn& c, std::string_view payload) {
  Upload* u = c.upload.get();
  if (!u || !u->downloading || payload.size() < 2) {
    Now().other_events++;
    return;
  }
  size_t hlen = static_cast<size_t>(static_cast<unsigned char>(payload[0])) << 8 |
                static_cast<unsigned char>(payload[1]);
  if (payload.size() < 2 + hlen) {
    CountError("slbench: malformed binary file.data");
    return;
  }
  std::string_view header = payload.substr(2, hlen), data = payload.substr(2 + hlen);
  bool last = false, ours = false;
  ScanObject(header, [&](std::string_view key, std::string_view raw) {
    if (key == "last") last = raw == "true";
    if (key == "file_id") ours = UnquoteSimple(raw).value_or("") == u->file_id;
    return true;
  });
  if (!ours) return;
  EVP_DigestUpdate(u->down_sha, data.data(), data.size());
  u->received += static_cast<int64_t>(data.size());
  PhaseStats& s = Now();
  s.download_bytes += data.size();
  if (!last) return;
  s.downloads_done++;
  At(u->intended_ns).download.Record(MonoNs() - u->get_ns);
  if (u->received != u->size || FinalHex(u->down_sha) != u->digest) {
    s.downloads_corrupt++;
    CountError("slbench: downloaded file differs from the upload");
  }
  NextUpload(c);
}

void Worker::NextUpload(Conn& c) {
  c.upload.reset();
  if (c.files_waiting.empty()) return;
  int64_t next = c.files_waiting.front();
  c.files_waiting.pop_front();
  AddBusy(-1);
  StartUpload(c, next);
}

}  // namespace slbench

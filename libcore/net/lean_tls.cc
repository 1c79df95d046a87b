#include "lean_tls.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>

namespace smartlink::net {

namespace {

int RetryableErrno(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

int BioWrite(BIO* bio, const char* data, int len) {
  auto* fd = static_cast<LeanTlsFd*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  // send(), not write(): MSG_NOSIGNAL, so a peer gone away is EPIPE and never SIGPIPE.
  ssize_t n = ::send(fd->fd, data, static_cast<size_t>(len), MSG_NOSIGNAL);
  if (n >= 0) return static_cast<int>(n);
  fd->last_errno = errno;
  if (RetryableErrno(errno)) BIO_set_retry_write(bio);
  return -1;
}

int BioRead(BIO* bio, char* data, int len) {
  auto* fd = static_cast<LeanTlsFd*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  ssize_t n = ::recv(fd->fd, data, static_cast<size_t>(len), 0);
  if (n > 0 && !fd->started) {
    fd->started = true;
    // A client opens with a ClientHello, in a handshake record (type 22). OpenSSL reads a
    // record's whole body before it looks at the type, so without this a few bytes of
    // anything else whose "length" is large held the connection for --handshake-timeout.
    if (static_cast<unsigned char>(data[0]) != SSL3_RT_HANDSHAKE) {
      fd->last_errno = EPROTO;
      return -1;
    }
  }
  if (n > 0) return static_cast<int>(n);
  if (n == 0) {
    fd->eof = true;
    return 0;
  }
  fd->last_errno = errno;
  if (RetryableErrno(errno)) BIO_set_retry_read(bio);
  return -1;
}

long BioCtrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // send() buffers nothing of its own
    case BIO_CTRL_EOF:
      return static_cast<LeanTlsFd*>(BIO_get_data(bio))->eof ? 1 : 0;
    default:
      return 0;
  }
}

BIO_METHOD* MakeMethod() {
  BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "smartlink socket");
  if (!m) return nullptr;
  BIO_meth_set_write(m, BioWrite);
  BIO_meth_set_read(m, BioRead);
  BIO_meth_set_ctrl(m, BioCtrl);
  return m;
}

}  // namespace

BIO_METHOD* LeanTlsBioMethod() {
  static BIO_METHOD* method = MakeMethod();
  return method;
}

}  // namespace smartlink::net

#pragma once

// RFC 6455 (section 5.2) wants a payload length in the fewest bytes that hold it, and a
// frame that breaks the framing closed with 1002 (protocol error). websocketpp refuses such
// a length (processor::error::non_minimal_encoding) but maps that error to 1011 (internal
// error) when it closes, since processor::error::to_ws lists it under neither.
//
// StrictHybi13 is websocketpp's RFC 6455 processor with that one error reported as a
// protocol violation, which closes 1002. SMARTLINK_STRICT_FRAMES(Config) declares the
// explicit specialization of connection::get_processor that hands it out for every
// handshake, whatever its Sec-WebSocket-Version: ServerImpl's validate handler then answers
// any version but 13 with 426 and "Sec-WebSocket-Version: 13", as RFC 6455 section 4.4
// asks (websocketpp's own choice served the drafts 0, 7 and 8, and answered a hixie-76
// handshake 500). As with quiet_log.h, the specialization comes before the first use of
// the template with that argument: the translation unit that instantiates an endpoint
// invokes the macro after its includes.

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <websocketpp/connection.hpp>
#include <websocketpp/processors/hybi13.hpp>

namespace smartlink::net {

template <typename Config>
class StrictHybi13 final : public websocketpp::processor::hybi13<Config> {
 public:
  using websocketpp::processor::hybi13<Config>::hybi13;

  size_t consume(uint8_t* buf, size_t len, websocketpp::lib::error_code& ec) override {
    namespace error = websocketpp::processor::error;
    size_t used = websocketpp::processor::hybi13<Config>::consume(buf, len, ec);
    if (ec == error::make_error_code(error::non_minimal_encoding)) {
      ec = error::make_error_code(error::protocol_violation);
    }
    return used;
  }
};

}  // namespace smartlink::net

// `version` is not looked at: see above.
#define SMARTLINK_STRICT_FRAMES(Config)                                                  \
  template <>                                                                            \
  inline auto websocketpp::connection<Config>::get_processor(int) const->processor_ptr { \
    auto p = lib::make_shared<smartlink::net::StrictHybi13<Config>>(                     \
        transport_con_type::is_secure(), m_is_server, m_msg_manager, lib::ref(m_rng));   \
    p->set_max_message_size(m_max_message_size);                                         \
    return p;                                                                            \
  }

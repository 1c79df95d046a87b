#pragma once

// websocketpp checks that every text frame it receives is UTF-8 one byte at a time, through
// a table-driven state machine that stores its state to memory after each byte
// (utf8_validator::validator::decode). For a load generator receiving 300k chat messages a
// second that check was a quarter of its CPU (perf, `slbench fanout --set rate=3000`).
//
// These are explicit specializations of that member template for the iterator websocketpp's
// hybi13 processor passes it (std::string::iterator) and for const char* (the ws:// client,
// lean_client.cc): at a character boundary they skip ASCII eight bytes at a time and hand
// every other byte to the same state machine, so they accept and reject exactly what the
// original does (tests/net/fast_utf8_test.cc compares the two).
// A specialization must be declared before the template is used with that argument, so
// every header that instantiates a websocketpp endpoint includes this one
// (ws_server_impl.h, ws_client_impl.h).

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <cstdint>
#include <cstring>
#include <string>
#include <websocketpp/utf8_validator.hpp>

namespace websocketpp::utf8_validator {

template <>
inline bool validator::decode<const char*>(const char* p, const char* const e) {
  while (p < e) {
    if (m_state == utf8_accept) {
      // The code point of an ASCII byte is never read again: the next lead byte resets it.
      while (e - p >= 8) {
        uint64_t word;
        std::memcpy(&word, p, sizeof word);
        if (word & 0x8080808080808080ULL) break;
        p += 8;
      }
      while (p < e && static_cast<unsigned char>(*p) < 0x80) ++p;
      if (p == e) break;
    }
    if (utf8_validator::decode(&m_state, &m_codepoint, static_cast<uint8_t>(*p++)) == utf8_reject) {
      return false;
    }
  }
  return true;
}

template <>
inline bool validator::decode<std::string::iterator>(std::string::iterator begin,
                                                     std::string::iterator end) {
  if (begin == end) return true;
  const char* p = &*begin;
  return decode<const char*>(p, p + (end - begin));
}

}  // namespace websocketpp::utf8_validator

#pragma once

// websocketpp keeps HTTP headers in a std::map ordered by utility::ci_less, which compares
// two names a character at a time through libc's tolower: a call through the PLT and a
// locale lookup per character, for every comparison of every insert and lookup. In the
// setup workload (connect, upgrade, auth, join, close) that was 5.6 % of slserver's CPU and
// 3 % of slbench's (perf, `slbench setup`).
//
// ci_less::nocase_compare calls `tolower` unqualified from inside namespace
// websocketpp::utility, so a function of that name declared in that namespace before
// websocketpp/utilities.hpp is read is the one it calls. This one folds ASCII only, which is
// what HTTP field names are (RFC 9110, 5.1) and what libc's tolower does in the C locale
// the server and slbench run in. (slchat sets the user's locale for line editing; in a
// UTF-8 locale libc's tolower leaves bytes above 127 alone too.)
//
// The function must be the same in every translation unit that reads utilities.hpp, so
// every header of ours that includes a websocketpp header includes this one first, and
// this one refuses to be read after utilities.hpp.

#ifdef WEBSOCKETPP_UTILITIES_HPP
#error "fast_ci_less.h must be included before any websocketpp header"
#endif

namespace websocketpp::utility {

inline int tolower(int c) noexcept { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

}  // namespace websocketpp::utility

#include <websocketpp/utilities.hpp>

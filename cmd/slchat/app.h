#pragma once

namespace slchat {

// slchat's main(): returns the process exit code.
int Main(int argc, char** argv);

}  // namespace slchat

// slchat: the SmartLink terminal chat client. See app.cc.

#include "app.h"

int main(int argc, char** argv) { return slchat::Main(argc, argv); }

// Naming islet's own threads (for `top -H`) and lowering the priority of background ones.
#pragma once

namespace islet::base {

// Names the calling thread and gives it `nice` (Linux: a nice value set for a thread id applies to that thread
// only). A background thread at nice 10 takes the CPU the event loops leave idle. Failing to lower the priority
// (a sandbox that forbids it) is logged at debug level and otherwise ignored.
void nameThisThread(const char* name, int nice = 0);

}  // namespace islet::base

#include "base/thread.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"

namespace islet::base {

void nameThisThread(const char* name, int nice) {
  pthread_setname_np(pthread_self(), name);
  if (nice == 0) return;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice) != 0) {
    log::debug("{}: cannot lower the thread's priority", name);
  }
}

}  // namespace islet::base

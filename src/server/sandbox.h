#pragma once
// The process sandbox of `islet serve`: a seccomp filter on every thread of the process that makes the system calls
// a multi-tenant server never needs fail with EPERM — starting programs, creating processes, reading or writing
// other processes' memory, and the kernel interfaces most often used to escalate from code execution (bpf, io_uring,
// userfaultfd, user namespaces, keyrings, module loading, raw and exotic sockets). V8 10.2 has no heap sandbox, so a
// V8 bug a tenant can exploit becomes code execution in this process; the filter bounds what that code can then do
// to the machine. It is a deny list: every other call is allowed, so a path islet rarely takes cannot kill the
// process on a forgotten call (a denied call fails with an error, it never kills).
//
// What it does not do: it cannot keep such code from what the process itself may touch (other tenants' memory,
// the data directory, the network); see docs/security.md.
#include <cstddef>

#include "base/status.h"

namespace islet::server {

// Installs the filter on every thread of the process (and threads started later). Irreversible. Returns how many
// system calls and socket families it denies, or why it could not be installed.
Result<size_t> enterSandbox();

}  // namespace islet::server

#include "server/sandbox.h"

#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include <fmt/format.h>

namespace islet::server {
namespace {

// System calls that fail with EPERM. A name this libseccomp does not know on this architecture is skipped.
constexpr const char* kDenied[] = {
    // Running programs and creating processes (threads are created with clone(CLONE_THREAD), allowed below).
    "execve", "execveat", "fork", "vfork",
    // Other processes' memory and descriptors.
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "process_madvise",
    // Kernel interfaces with a history of privilege escalations, none of which islet uses.
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "keyctl",
    "add_key", "request_key", "unshare", "setns", "personality", "move_pages", "migrate_pages",
    // Administering the machine.
    "mount", "umount2", "pivot_root", "chroot", "mount_setattr", "move_mount", "open_tree", "fsopen", "fsconfig",
    "fsmount", "fspick", "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "open_by_handle_at", "name_to_handle_at", "syslog", "ioperm", "iopl",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "fanotify_init",
    "lookup_dcookie", "uselib", "vhangup",
};

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

Status failed(const char* what, int rc) {
  return Status::internal(fmt::format("seccomp: {}: {}", what, std::strerror(-rc)));
}

}  // namespace

Result<size_t> enterSandbox() {
  std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return Status::internal("seccomp: cannot create a filter");
  // Every thread: V8's platform threads run already when `islet serve` starts.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1); rc != 0) return failed("thread sync", rc);
  // Every system call of the process runs the filter: a binary search over the call numbers, not a list of ~70
  // comparisons that every allowed call would walk to its end.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2); rc != 0) return failed("optimize", rc);
  size_t denied = 0;
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), nr, 0); rc != 0) return failed(name, rc);
    denied++;
  }
  // clone3 passes its flags in memory a filter cannot read: ENOSYS makes the C library fall back to clone, whose
  // flags it can. A clone without CLONE_THREAD makes a process.
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0); rc != 0) {
    return failed("clone3", rc);
  }
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
      rc != 0) {
    return failed("clone", rc);
  }
  denied += 2;
  // Sockets: Unix, IPv4, IPv6 and netlink (the C library's resolver asks the routing table which address families
  // are configured). Every other family (packet sockets, the kernel's crypto API, ...) fails.
  auto denyFamily = [&](scmp_arg_cmp cmp) {
    return seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, cmp);
  };
  for (int family = 0; family < AF_NETLINK; family++) {
    if (family == AF_UNIX || family == AF_INET || family == AF_INET6) continue;
    if (int rc = denyFamily(SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family))); rc != 0) {
      return failed("socket", rc);
    }
  }
  if (int rc = denyFamily(SCMP_A0(SCMP_CMP_GT, AF_NETLINK)); rc != 0) return failed("socket", rc);
  denied++;
  if (int rc = seccomp_load(ctx.get()); rc != 0) return failed("load", rc);
  return denied;
}

}  // namespace islet::server

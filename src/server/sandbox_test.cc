#include "server/sandbox.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace islet::server {
namespace {

// Runs `body` in a child process (the filter cannot be taken off again) and returns its exit code: 0 when every
// check passed, otherwise the number of the first that failed.
int inChild(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

bool deniedWith(long result, int error) { return result == -1 && errno == error; }

bool socketWorks(int family, int type, int protocol) {
  int fd = socket(family, type, protocol);
  if (fd < 0) return false;
  close(fd);
  return true;
}

std::string seccompMode() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Seccomp:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 8));
  }
  return "";
}

TEST(Sandbox, DeniesProcessesProgramsAndKernelAttackSurfaceButNotWhatAServerDoes) {
  int failed = inChild([] {
    auto denied = enterSandbox();
    if (!denied.isOk() || denied.value() < 50) return 1;
    if (seccompMode() != "2") return 2;
    char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
    if (!deniedWith(execve("/bin/true", argv, environ), EPERM)) return 3;
    if (!deniedWith(fork(), EPERM)) return 4;
    if (!deniedWith(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr), EPERM)) return 5;
    if (!deniedWith(syscall(SYS_io_uring_setup, 1, nullptr), EPERM)) return 6;
    if (!deniedWith(syscall(SYS_bpf, 0, nullptr, 0), EPERM)) return 7;
    if (!deniedWith(unshare(CLONE_NEWUSER), EPERM)) return 8;
    if (!deniedWith(socket(AF_PACKET, SOCK_RAW, 0), EPERM)) return 9;
    if (!deniedWith(socket(AF_ALG, SOCK_SEQPACKET, 0), EPERM)) return 10;
    // What islet does: threads, sockets for HTTP and DNS, files, memory V8 maps and protects.
    std::atomic<bool> ran{false};
    std::thread([&] { ran = true; }).join();
    if (!ran) return 11;
    if (!socketWorks(AF_INET, SOCK_STREAM, 0) || !socketWorks(AF_INET6, SOCK_STREAM, 0)) return 12;
    if (!socketWorks(AF_UNIX, SOCK_STREAM, 0) || !socketWorks(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)) return 13;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    char byte;
    if (fd < 0 || read(fd, &byte, 1) != 1) return 14;
    close(fd);
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED || mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0) return 15;
    return 0;
  });
  EXPECT_EQ(failed, 0);
}

TEST(Sandbox, WithoutItTheSameCallsWork) {
  // The checks above can fail: outside the sandbox a process can be made and ptrace asked for.
  int failed = inChild([] {
    if (seccompMode() == "2") return 1;
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) _exit(0);
    waitpid(pid, nullptr, 0);
    if (socketWorks(AF_UNIX, SOCK_STREAM, 0) == false) return 3;
    return 0;
  });
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace islet::server

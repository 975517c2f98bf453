// What this machine charges for memory the process has not touched before: maps 256 MB at a time and writes one
// byte per 4 KB page, printing microseconds per page for each 256 MB. Each new isolate touches ~400 fresh pages, so
// this cost is part of every isolate islet (or workerd) makes; on a virtual machine whose host backs guest memory
// lazily, it jumps once the guest's recently used memory runs out (docs/benchmarks.md).
//
// Build and run from the repository root:
//   cc -O2 bench/density/fresh_memory.c -o build/fresh_memory && build/fresh_memory 4
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double nowMs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  size_t gigabytes = argc > 1 ? (size_t)atoi(argv[1]) : 4;
  const size_t chunk = 256u << 20;
  for (size_t i = 0; i < gigabytes * 4; i++) {
    char* p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    double start = nowMs();
    for (size_t offset = 0; offset < chunk; offset += 4096) p[offset] = 1;
    printf("%zu MB: %.2f us/page\n", (i + 1) * 256, (nowMs() - start) * 1000 / (chunk / 4096));
  }
  return 0;
}

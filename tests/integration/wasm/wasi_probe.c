// Exercises islet's WASI preview 1 from C (wasi-libc): each line of stdout is one observation that
// wasm_test.py checks. Built by the test with clang --target=wasm32-wasi.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  printf("argc %d\n", argc);
  for (int i = 0; i < argc; i++) printf("arg %s\n", argv[i]);
  for (char** e = environ; *e; e++) {
    if (strncmp(*e, "PROBE_", 6) == 0) printf("env %s\n", *e);
  }

  char input[256];
  size_t n = fread(input, 1, sizeof input - 1, stdin);
  input[n] = '\0';
  printf("stdin %zu %s\n", n, input);

  struct timespec real, mono, res;
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_getres(CLOCK_MONOTONIC, &res);
  printf("realtime_ms %lld\n", (long long)real.tv_sec * 1000 + real.tv_nsec / 1000000);
  printf("realtime_sub_ms_ns %ld\n", real.tv_nsec % 1000000);
  printf("resolution_ns %ld\n", res.tv_nsec);
  // poll_oneoff with a clock subscription: returns at once, and the frozen clock has not moved.
  struct timespec pause = {0, 5 * 1000 * 1000};
  int slept = nanosleep(&pause, NULL);
  struct timespec mono2;
  clock_gettime(CLOCK_MONOTONIC, &mono2);
  printf("nanosleep %d monotonic_moved %d\n", slept, mono2.tv_sec != mono.tv_sec || mono2.tv_nsec != mono.tv_nsec);

  static unsigned char random1[70000];  // static: larger than the default 64 KiB Wasm stack
  unsigned char random2[32];
  int r1 = getentropy(random2, sizeof random2);
  arc4random_buf(random1, sizeof random1);  // more than 64 KiB: random_get in chunks
  int zeros = 0;
  for (size_t i = 0; i < sizeof random1; i++) zeros += random1[i] == 0;
  printf("getentropy %d zeros_below_1000 %d\n", r1, zeros < 1000);

  errno = 0;
  int fd = open("/etc/passwd", O_RDONLY);
  printf("open %d errno_set %d\n", fd, errno != 0);
  errno = 0;
  off_t off = lseek(1, 0, SEEK_CUR);
  printf("lseek %lld espipe %d\n", (long long)off, errno == ESPIPE);
  printf("isatty %d\n", isatty(1));
  fprintf(stderr, "probe wrote to stderr\n");
  fflush(stdout);
  exit(7);
}

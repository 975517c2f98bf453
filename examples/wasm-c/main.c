// A CGI program for wasm32-wasi: islet's WASI.serve runs it once per request, with the request in its
// environment (REQUEST_METHOD, PATH_INFO, QUERY_STRING, HTTP_*) and body on stdin; it writes the response to
// stdout as header lines, an empty line, then the body. See README.md.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char* env(const char* name) {
  const char* value = getenv(name);
  return value ? value : "";
}

// The value of `key` in a query string "a=1&b=2", or NULL.
static const char* queryParam(const char* query, const char* key, char* out, size_t size) {
  size_t keyLen = strlen(key);
  for (const char* p = query; *p;) {
    const char* end = strchr(p, '&');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > keyLen && strncmp(p, key, keyLen) == 0 && p[keyLen] == '=') {
      size_t n = len - keyLen - 1 < size - 1 ? len - keyLen - 1 : size - 1;
      memcpy(out, p + keyLen + 1, n);
      out[n] = '\0';
      return out;
    }
    if (!end) break;
    p = end + 1;
  }
  return NULL;
}

static unsigned long long fib(unsigned n) {
  unsigned long long a = 0, b = 1;
  for (unsigned i = 0; i < n; i++) {
    unsigned long long t = a + b;
    a = b;
    b = t;
  }
  return a;
}

int main(void) {
  const char* method = env("REQUEST_METHOD");
  const char* path = env("PATH_INFO");

  if (strcmp(path, "/") == 0) {
    const char* greeting = getenv("GREETING");
    printf("Content-Type: text/plain; charset=utf-8\n\n");
    printf("%s from C on wasm32-wasi! %s %s\n", greeting ? greeting : "Hello", method, path);
    return 0;
  }
  if (strcmp(path, "/fib") == 0) {
    char buf[16];
    const char* n = queryParam(env("QUERY_STRING"), "n", buf, sizeof buf);
    unsigned value = n ? (unsigned)strtoul(n, NULL, 10) : 10;
    if (value > 93) {
      printf("Status: 400 Bad Request\nContent-Type: text/plain\n\nn must be at most 93\n");
      return 0;
    }
    printf("Content-Type: application/json\n\n{\"n\":%u,\"fib\":%llu}\n", value, fib(value));
    return 0;
  }
  if (strcmp(path, "/upper") == 0 && strcmp(method, "POST") == 0) {
    printf("Content-Type: text/plain; charset=utf-8\n\n");
    int c;
    while ((c = getchar()) != EOF) putchar(toupper(c));
    return 0;
  }
  if (strcmp(path, "/exit") == 0) {
    fprintf(stderr, "exiting with code 3 as asked\n");
    exit(3);
  }
  printf("Status: 404 Not Found\nContent-Type: text/plain\n\nno route for %s\n", path);
  return 0;
}

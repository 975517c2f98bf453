// islet_snapshot OUT: builds islet's startup snapshot (every api/ JS file already run) and writes it to OUT.
#include <cstdio>
#include <fstream>

#include "api/natives.h"
#include "engine/platform.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: islet_snapshot OUT\n");
    return 2;
  }
  islet::engine::initialize();
  auto blob = islet::engine::Engine::buildSnapshot(islet::api::definition());
  if (!blob.isOk()) {
    std::fprintf(stderr, "islet_snapshot: %s\n", blob.status().message().c_str());
    return 1;
  }
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out.write(blob.value().data(), static_cast<std::streamsize>(blob.value().size()));
  if (!out) {
    std::fprintf(stderr, "islet_snapshot: cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}

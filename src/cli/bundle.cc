#include "cli/bundle.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

extern char** environ;

namespace islet::cli {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxScannedFiles = 1000;
constexpr const char* kEsbuildVersion = "esbuild@0.x";

Result<std::string> readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::notFound(fmt::format("cannot read {}", p.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- finding what needs a bundler ----

bool isScript(const fs::path& p) {
  static constexpr std::array kExtensions = {".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts"};
  std::string ext = p.extension().string();
  for (const char* e : kExtensions) {
    if (ext == e) return true;
  }
  return false;
}

// TypeScript and JSX: syntax islet's loader does not take.
bool needsCompiling(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".ts" || ext == ".tsx" || ext == ".mts" || ext == ".cts" || ext == ".jsx";
}

bool isIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

bool isQuote(char c) { return c == '\'' || c == '"'; }

// Skips whitespace and comments from `i`.
size_t skipSpace(const std::string& s, size_t i) {
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      i++;
    } else if (s.compare(i, 2, "//") == 0) {
      i = s.find('\n', i);
      if (i == std::string::npos) return s.size();
    } else if (s.compare(i, 2, "/*") == 0) {
      i = s.find("*/", i + 2);
      if (i == std::string::npos) return s.size();
      i += 2;
    } else {
      break;
    }
  }
  return i;
}

// The string literal whose opening quote is at s[i], without escapes (module specifiers have none).
std::optional<std::string> stringAt(const std::string& s, size_t i) {
  if (i >= s.size() || !isQuote(s[i])) return std::nullopt;
  size_t end = s.find_first_of(std::string(1, s[i]) + "\n", i + 1);
  if (end == std::string::npos || s[end] != s[i]) return std::nullopt;
  return s.substr(i + 1, end - i - 1);
}

// After `import` or `export` at `i`: the specifier of a `... from '...'` clause, if the statement has one.
std::optional<std::string> fromClause(const std::string& s, size_t i) {
  size_t limit = std::min(s.size(), i + 4096);
  while (i < limit) {
    char c = s[i];
    if (c == ';' || c == '`') return std::nullopt;
    if (c == '/' && (s.compare(i, 2, "//") == 0 || s.compare(i, 2, "/*") == 0)) {
      i = skipSpace(s, i);
      continue;
    }
    if (isQuote(c)) {
      size_t end = i;
      while (end > 0 && std::isspace(static_cast<unsigned char>(s[end - 1]))) end--;
      bool afterFrom = end >= 4 && s.compare(end - 4, 4, "from") == 0 && (end == 4 || !isIdentifierChar(s[end - 5]));
      if (!afterFrom) return std::nullopt;
      return stringAt(s, i);
    }
    i++;
  }
  return std::nullopt;
}

// Where the string or template literal that opens at s[i] ends (just past its closing quote). A quote string
// also ends at a line break, so a misread regular expression literal derails one line at most.
size_t skipLiteral(const std::string& s, size_t i) {
  char quote = s[i];
  for (i++; i < s.size(); i++) {
    if (s[i] == '\\') {
      i++;
    } else if (s[i] == quote || (quote != '`' && s[i] == '\n')) {
      return i + 1;
    }
  }
  return s.size();
}

// The specifiers of a module's static imports, re-exports, side-effect imports and literal dynamic imports,
// outside comments and strings. A scan, not a parse: good enough to tell whether a bundler is needed.
std::vector<std::string> importSpecifiers(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '/' && (s.compare(i, 2, "//") == 0 || s.compare(i, 2, "/*") == 0)) {
      i = skipSpace(s, i);
    } else if (isQuote(c) || c == '`') {
      i = skipLiteral(s, i);
    } else if (isIdentifierChar(c)) {
      size_t start = i;
      while (i < s.size() && isIdentifierChar(s[i])) i++;
      std::string_view word(s.data() + start, i - start);
      if ((word != "import" && word != "export") || (start > 0 && s[start - 1] == '.')) continue;
      size_t next = skipSpace(s, i);
      if (next >= s.size()) break;
      std::optional<std::string> spec;
      if (word == "import" && s[next] == '(') {
        spec = stringAt(s, skipSpace(s, next + 1));
      } else if (word == "import" && isQuote(s[next])) {
        spec = stringAt(s, next);
      } else if (s[next] != '.') {  // not import.meta
        spec = fromClause(s, next);
      }
      if (spec && !spec->empty()) out.push_back(std::move(*spec));
    } else {
      i++;
    }
  }
  return out;
}

bool isRelative(const std::string& spec) {
  return spec == "." || spec == ".." || spec.starts_with("./") || spec.starts_with("../");
}

// A package name: neither a path nor a URL-like specifier (`cloudflare:sockets`, `node:buffer`), which no bundler
// resolves from node_modules.
bool isBare(const std::string& spec) {
  if (isRelative(spec) || spec.starts_with("/")) return false;
  size_t colon = spec.find(':');
  return colon == std::string::npos || spec.find('/') < colon;
}

// The file a relative import names, trying what TypeScript and bundlers try: the exact path, added extensions,
// `.js` standing for `.ts`, and an index file in a folder.
std::optional<fs::path> resolveRelative(const fs::path& from, const std::string& spec) {
  fs::path base = (from.parent_path() / spec).lexically_normal();
  std::vector<fs::path> candidates{base};
  for (const char* ext : {".ts", ".tsx", ".mts", ".js", ".mjs", ".jsx", ".cts", ".cjs"}) {
    candidates.push_back(fs::path(base.string() + ext));
  }
  std::string ext = base.extension().string();
  if (ext == ".js" || ext == ".mjs" || ext == ".jsx") {
    for (const char* ts : {".ts", ".tsx", ".mts"}) candidates.push_back(fs::path(base).replace_extension(ts));
  }
  for (const char* index : {"index.ts", "index.tsx", "index.js", "index.mjs"}) candidates.push_back(base / index);
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) return c;
  }
  return std::nullopt;
}

// ---- child processes ----

enum class ChildOutput {
  kCapture,   // stdout and stderr are collected and returned
  kToStderr,  // stdout goes to our stderr too, so it never mixes with a command's own output
};

struct Finished {
  int exitCode;        // 128 + the signal when it was killed
  std::string output;  // with kCapture
};

// Runs argv[0] (looked up in PATH when it has no slash) with `argv` and waits for it; no shell is involved.
// kNotFound when it cannot be started.
Result<Finished> runChild(const std::vector<std::string>& argv, ChildOutput output) {
  int pipeFds[2] = {-1, -1};
  if (output == ChildOutput::kCapture && pipe2(pipeFds, O_CLOEXEC) != 0) {
    return Status::internal(fmt::format("pipe: {}", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (output == ChildOutput::kCapture) {
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 2);
  } else {
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
  }
  // The child starts with default signal handling and nothing blocked, whatever the server set for itself.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int err = posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (pipeFds[1] >= 0) close(pipeFds[1]);
  if (err != 0) {
    if (pipeFds[0] >= 0) close(pipeFds[0]);
    return Status::notFound(fmt::format("cannot run {}: {}", argv[0], std::strerror(err)));
  }
  Finished finished{0, {}};
  if (pipeFds[0] >= 0) {
    char buf[8192];
    for (;;) {
      ssize_t n = read(pipeFds[0], buf, sizeof buf);
      if (n > 0) {
        finished.output.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
    close(pipeFds[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  finished.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return finished;
}

// ---- finding and installing esbuild ----

bool isExecutable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

std::optional<fs::path> cacheFolder() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') return fs::path(xdg) / "islet" / "esbuild";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "islet" / "esbuild";
  return std::nullopt;
}

std::string installAdvice(const fs::path& projectDir) {
  return fmt::format("install it in the project: cd {} && npm install --save-dev esbuild", projectDir.string());
}

// Installs esbuild into `cache` with npm. Concurrent islet processes take turns through a lock file, and the
// one that comes second finds the first one's install.
Result<fs::path> installEsbuild(const fs::path& cache, const fs::path& projectDir) {
  fs::path esbuild = cache / "node_modules" / ".bin" / "esbuild";
  std::error_code ec;
  fs::create_directories(cache, ec);
  if (ec) {
    return Status::notFound(fmt::format("esbuild is not installed and {} cannot be created ({}); {}", cache.string(),
                                        ec.message(), installAdvice(projectDir)));
  }
  int lock = open((cache / ".install-lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock >= 0) {
    while (flock(lock, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  struct Unlock {
    int fd;
    ~Unlock() {
      if (fd >= 0) close(fd);
    }
  } unlock{lock};
  if (isExecutable(esbuild)) return esbuild;

  std::vector<std::string> argv{"npm", "install", "--prefix", cache.string(), "--no-audit", "--no-fund",
                                "--loglevel=error", kEsbuildVersion};
  fmt::print(stderr, "islet: this project needs esbuild, which is not in its node_modules; installing it: {}\n",
             fmt::join(argv, " "));
  std::fflush(stderr);
  auto npm = runChild(argv, ChildOutput::kToStderr);
  if (!npm.isOk()) {
    return Status::notFound(fmt::format("esbuild is not installed and npm is not available to install it ({}); {}",
                                        npm.status().message(), installAdvice(projectDir)));
  }
  if (npm->exitCode != 0 || !isExecutable(esbuild)) {
    return Status::notFound(fmt::format("esbuild is not installed and `npm install` into {} failed (exit {}); {}",
                                        cache.string(), npm->exitCode, installAdvice(projectDir)));
  }
  fmt::print(stderr, "islet: installed {}\n", esbuild.string());
  return esbuild;
}

}  // namespace

std::string bundlingReason(const fs::path& entry) {
  fs::path root = entry.parent_path();
  auto shown = [&](const fs::path& p) { return fs::relative(p, root).generic_string(); };
  std::vector<fs::path> pending{entry.lexically_normal()};
  std::set<fs::path> seen{pending.front()};
  while (!pending.empty() && seen.size() <= kMaxScannedFiles) {
    fs::path file = std::move(pending.back());
    pending.pop_back();
    if (needsCompiling(file)) return fmt::format("{} is {}", shown(file), file.extension() == ".jsx" ? "JSX" : "TypeScript");
    auto source = readFile(file);
    if (!source.isOk()) continue;  // the loader reports it
    for (const auto& spec : importSpecifiers(source.value())) {
      if (isBare(spec)) return fmt::format("{} imports '{}'", shown(file), spec);
      if (!isRelative(spec)) continue;
      auto target = resolveRelative(file, spec);
      if (target && isScript(*target) && seen.insert(*target).second) pending.push_back(*target);
    }
  }
  return {};
}

Result<fs::path> findEsbuild(const fs::path& projectDir) {
  fs::path dir = projectDir;
  for (;;) {
    fs::path candidate = dir / "node_modules" / ".bin" / "esbuild";
    if (isExecutable(candidate)) return candidate;
    if (dir == dir.parent_path() || dir.empty()) break;
    dir = dir.parent_path();
  }
  auto cache = cacheFolder();
  if (!cache) return Status::notFound("esbuild is not installed and there is no HOME for a cache; " + installAdvice(projectDir));
  fs::path cached = *cache / "node_modules" / ".bin" / "esbuild";
  if (isExecutable(cached)) return cached;
  return installEsbuild(*cache, projectDir);
}

Result<Bundle> bundleWorker(const fs::path& entry) {
  auto esbuild = findEsbuild(entry.parent_path());
  if (!esbuild.isOk()) return esbuild.status();

  std::string tmpTemplate = (fs::temp_directory_path() / "islet-bundle-XXXXXX").string();
  if (!mkdtemp(tmpTemplate.data())) return Status::internal(fmt::format("mkdtemp: {}", std::strerror(errno)));
  fs::path tmp = tmpTemplate;
  struct RemoveAll {
    fs::path dir;
    ~RemoveAll() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{tmp};
  fs::path outFile = tmp / "worker.js";
  fs::path metaFile = tmp / "meta.json";
  std::vector<std::string> argv{
      esbuild->string(), entry.string(), "--bundle", "--format=esm", "--platform=neutral", "--target=es2022",
      "--conditions=workerd,worker,browser", "--main-fields=browser,module,main",
      // islet's own module kinds: text and data modules are inlined, Wasm stays a module of its own.
      "--loader:.txt=text", "--loader:.html=text", "--loader:.bin=binary", "--external:*.wasm",
      "--external:cloudflare:*", "--define:process.env.NODE_ENV=\"production\"", "--log-level=warning",
      "--color=false", "--outfile=" + outFile.string(), "--metafile=" + metaFile.string()};
  auto ran = runChild(argv, ChildOutput::kCapture);
  if (!ran.isOk()) return ran.status();
  if (ran->exitCode != 0) {
    return Status::invalidArgument(fmt::format("esbuild could not bundle {}:\n{}", entry.string(), ran->output));
  }
  if (!ran->output.empty()) fmt::print(stderr, "{}", ran->output);  // warnings

  auto code = readFile(outFile);
  if (!code.isOk()) return code.status();
  auto metaText = readFile(metaFile);
  if (!metaText.isOk()) return metaText.status();
  auto meta = nlohmann::json::parse(metaText.value(), nullptr, false);
  if (meta.is_discarded() || !meta.contains("inputs") || !meta.contains("outputs")) {
    return Status::internal(fmt::format("esbuild wrote an unreadable metafile for {}", entry.string()));
  }
  Bundle bundle{std::move(code.value()), false, {}, {}};
  // Input paths are relative to esbuild's working folder, which is ours.
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  for (const auto& [input, _] : meta["inputs"].items()) {
    fs::path p = (cwd / input).lexically_normal();
    bool inPackage = false;
    for (const auto& part : p) inPackage = inPackage || part == "node_modules";
    if (!inPackage && fs::is_regular_file(p, ec)) bundle.sources.push_back(p);
  }
  for (const auto& [_, output] : meta["outputs"].items()) {
    if (output.contains("exports") && output["exports"].is_array() && !output["exports"].empty()) {
      bundle.hasExports = true;
    }
    if (!output.contains("imports") || !output["imports"].is_array()) continue;
    for (const auto& import : output["imports"]) {
      if (!import.value("external", false) || !import.contains("path") || !import["path"].is_string()) continue;
      std::string path = import["path"].get<std::string>();
      if (isRelative(path) && path.ends_with(".wasm")) bundle.wasm.push_back((entry.parent_path() / path).lexically_normal());
    }
  }
  return bundle;
}

}  // namespace islet::cli

#include "cli/bundle.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace islet::cli {
namespace {

namespace fs = std::filesystem;

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "islet-bundle-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }

  fs::path dir_;
};

TEST_F(BundleTest, PlainRelativeImportsNeedNoBundler) {
  fs::path entry = write("index.js",
                         "import { a } from './lib/a.js';\n"
                         "import data from './data.json';\n"
                         "export { b } from \"./lib/b.mjs\";\n"
                         "const u = new URL('x', import.meta.url);\n"
                         "// import x from 'commented-out'\n"
                         "/* export * from 'also-commented-out' */\n"
                         "export default { fetch() { return new Response(a + 'imports are fine'); } };\n");
  write("lib/a.js", "import './side-effect.js';\nexport const a = 'a';\nconst s = \"export from 'nothing'\";\n");
  write("lib/side-effect.js", "globalThis.x = 1;\n");
  write("lib/b.mjs", "export const b = await import('./a.js');\n");
  write("data.json", "{}");
  // Not reached from the entry: a test file with a package import does not count.
  write("test/app.test.js", "import { test } from 'vitest';\n");
  EXPECT_EQ(bundlingReason(entry), "");
}

TEST_F(BundleTest, BareSpecifiersAnywhereInTheGraph) {
  write("src/routes.js",
        "import {\n  Hono, // the app\n  type Context,\n} from 'hono';\nexport const app = new Hono();\n");
  fs::path entry = write("src/index.js", "import { app } from './routes';\nexport default app;\n");
  EXPECT_EQ(bundlingReason(entry), "routes.js imports 'hono'");

  fs::path reexport = write("re.js", "export * from '@scope/pkg/sub';\n");
  EXPECT_EQ(bundlingReason(reexport), "re.js imports '@scope/pkg/sub'");
  fs::path dynamic = write("dyn.js", "export default { async fetch() { return (await import( \"itty-router\" )).x; } };");
  EXPECT_EQ(bundlingReason(dynamic), "dyn.js imports 'itty-router'");
  fs::path sideEffect = write("side.js", "import 'polyfill';\n");
  EXPECT_EQ(bundlingReason(sideEffect), "side.js imports 'polyfill'");
  // Runtime modules are not packages: no bundler resolves them.
  fs::path builtins = write("builtins.js", "import { connect } from 'cloudflare:sockets';\nimport 'node:buffer';\n");
  EXPECT_EQ(bundlingReason(builtins), "");
}

TEST_F(BundleTest, TypeScriptAndJsxNeedCompiling) {
  EXPECT_EQ(bundlingReason(write("index.ts", "export default {};\n")), "index.ts is TypeScript");
  EXPECT_EQ(bundlingReason(write("app.tsx", "export default {};\n")), "app.tsx is TypeScript");
  // `./util.js` naming `util.ts`, as TypeScript writes it.
  write("util.ts", "export const x: number = 1;\n");
  EXPECT_EQ(bundlingReason(write("main.js", "import { x } from './util.js';\n")), "util.ts is TypeScript");
  write("view.jsx", "export const v = <p/>;\n");
  EXPECT_EQ(bundlingReason(write("page.js", "import { v } from './view.jsx';\n")), "view.jsx is JSX");
}

TEST_F(BundleTest, FindsEsbuildInAnEnclosingNodeModules) {
  fs::path bin = write("node_modules/.bin/esbuild", "#!/bin/sh\n");
  chmod(bin.c_str(), 0755);
  fs::create_directories(dir_ / "apps" / "one");
  auto found = findEsbuild(dir_ / "apps" / "one");
  ASSERT_TRUE(found.isOk()) << found.status().message();
  EXPECT_EQ(found.value(), bin);
}

}  // namespace
}  // namespace islet::cli

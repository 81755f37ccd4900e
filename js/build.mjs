// `make js`: bundle the offline verifier into ../build/offline (git-ignored, served by app/web/inspect.py).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "build", "offline");
mkdirSync(out, { recursive: true });
const notice = "/* Bundles zxing-wasm (MIT) with ZXing-C++ (Apache-2.0) and @noble/ed25519 (MIT): "
  + "see js/package-lock.json */";
const common = { bundle: true, minify: true, legalComments: "eof", target: ["es2020"], logLevel: "warning" };

// The page as an ES module; the service worker as a classic script (Flask prepends its file list).
await build({ ...common, entryPoints: [join(here, "src", "main.js")], format: "esm", banner: { js: notice },
  outfile: join(out, "verifier.js") });
await build({ ...common, entryPoints: [join(here, "src", "sw.js")], format: "iife", outfile: join(out, "sw.js") });
copyFileSync(join(here, "node_modules", "zxing-wasm", "dist", "reader", "zxing_reader.wasm"),
  join(out, "zxing_reader.wasm"));

// `make js`: bundle the offline verifier into ../build/offline (git-ignored, served by app/web/inspect.py).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "build", "offline");
mkdirSync(out, { recursive: true });
const common = { bundle: true, minify: true, sourcemap: false, legalComments: "eof", target: ["es2020"], logLevel: "warning" };

await build({ ...common, entryPoints: [join(here, "src", "main.js")], format: "esm", outfile: join(out, "verifier.js") });
await build({ ...common, entryPoints: [join(here, "src", "sw.js")], format: "iife", outfile: join(out, "sw.js") });
copyFileSync(join(here, "node_modules", "zxing-wasm", "dist", "reader", "zxing_reader.wasm"),
  join(out, "zxing_reader.wasm"));

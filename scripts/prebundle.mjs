// Bundles npm packages that Observable Framework cannot bundle for the browser by
// itself, straight into Framework's module cache (src/.observablehq/cache/_node),
// which Framework uses as is. tfjs-backend-wasm's emscripten glue imports Node
// built-ins (fs, path, ...) that its package.json maps away for browsers; esbuild
// honours that mapping, Framework's bundler does not.
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const version = (name) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
const CACHE = "src/.observablehq/cache/_node";
const core = `tfjs-core@${version("@tensorflow/tfjs-core")}`;

const wasmPkg = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
await build({
  entryPoints: [join(wasmPkg, "dist/index.js")],
  outfile: join(CACHE, `@tensorflow/tfjs-backend-wasm@${version("@tensorflow/tfjs-backend-wasm")}/index.js`),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  logLevel: "warning",
  // Resolved by Framework to its own bundle of tfjs-core, so that every backend
  // registers with one engine.
  plugins: [
    {
      name: "tfjs-core-external",
      setup(b) {
        b.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, () => ({ path: `../${core}/index.js`, external: true }));
      },
    },
  ],
});

// Framework reuses a data loader's cached output until the loader's own file changes. Three
// loaders read other files: the runs index (src/data/runs.json.ts) reads the records, which a
// user adds by copying a file (whose time may be older than the cache), and the shipped
// results (src/data/shipped-results.json.ts) read the checkpoints' metadata, and the protocol
// (src/data/protocol-[dataset].json.ts) reads the committed ledger. Their caches go
// before every build, start and dev, so they run again (about a second together).
for (const out of ["runs.json", "shipped-results.json", "protocol-bp4d.json", "protocol-disfa.json"]) rmSync(`src/.observablehq/cache/data/${out}`, { force: true });

// Observable Framework's command line, with the headers that make the site cross-origin
// isolated (src/lib/coi.ts) on every response of the preview server (`npm start`), so that
// the wasm backend runs threaded there. Framework's preview server has no setting for
// response headers; here Node's http.createServer, which it calls to make its server, is
// wrapped to add them before Framework answers a request. Arguments are Framework's own.
import { realpathSync } from "node:fs";
import http from "node:http";
import { syncBuiltinESMExports } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isolate } from "./coi-headers.mjs";

const createServer = http.createServer;
http.createServer = function (...args) {
  return isolate(createServer.apply(this, args));
};
// `import { createServer } from "node:http"` in Framework's modules sees the wrapper.
syncBuiltinESMExports();

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = realpathSync(join(root, "node_modules", ".bin", "observable"));
process.argv = [process.argv[0], bin, ...process.argv.slice(2)];
await import(pathToFileURL(bin).href);

// Observable Framework configuration. Everything the site needs is bundled from
// node_modules: no stylesheet, font or module is fetched from a CDN, so the
// workspace works offline (tests/browser checks dist/ for CDN hosts).
import { existsSync, readdirSync } from "node:fs";
import { COI_SERVICE_WORKER_FILE, coiRegistration } from "./src/lib/coi.js";

export const STAGE_PAGES = [
  { name: "Data", path: "/pages/data" },
  { name: "Occlusion lab", path: "/pages/occlusion-lab" },
  { name: "MAE pretraining", path: "/pages/mae-pretraining" },
  { name: "Teacher", path: "/pages/teacher" },
  { name: "Student and KD", path: "/pages/student-kd" },
  { name: "Evaluation", path: "/pages/evaluation" },
  { name: "Report", path: "/pages/report" },
  { name: "Speed", path: "/pages/speed" },
];

/**
 * The Content-Security-Policy of every page, set by a <meta> tag in the head so that it
 * holds wherever dist/ is served. The site only ever talks to its own origin:
 *   default-src 'self'         anything not listed below: this origin only
 *   script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'
 *                              Framework writes each page's code as an inline module script
 *                              and the sidebar's state as an inline script (hashes would
 *                              change with every edit of a page); WebAssembly (tfjs' wasm
 *                              backend, MaskAU's own kernels) needs 'wasm-unsafe-eval'. No
 *                              'unsafe-eval': nothing on a built page evaluates strings.
 *   style-src 'self' 'unsafe-inline'   Plot, Inputs and Framework set inline styles
 *   img-src 'self' data: blob:  the theme's icons are data: SVGs; an uploaded photo may be
 *                              decoded through a blob: URL
 *   font-src 'self'
 *   connect-src 'self'         fetch and WebSocket to the site itself only (data loader
 *                              outputs, wasm binaries, the preview server's live reload)
 *   worker-src 'self'          the threaded wasm backend's workers and the service worker
 *                              that isolates the site are the site's own files (no blob:)
 *   object-src 'none'; base-uri 'self'; form-action 'self'
 * frame-ancestors cannot be set from a <meta> tag; a server that wants it sends the header.
 * Two exceptions add 'unsafe-eval' to script-src: the Data page, whose arquero tables
 * compile their expressions (groupby, rollup, derive) with `new Function`, and the preview
 * server (`npm start`), which reloads edited cells with eval.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join("; ");

/**
 * Run records (src/data/records/<id>.json, written by `maskau record`, by training, or
 * downloaded from a page): each gets a report page /runs/<id> (src/runs/[run].md).
 */
export const RECORDS_DIR = "src/data/records";
export const RUN_IDS = existsSync(RECORDS_DIR)
  ? readdirSync(RECORDS_DIR)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -".json".length))
      .sort()
  : [];

/** Pages that evaluate strings as code (see above). */
export const EVAL_PAGES = ["/pages/data"];
const PREVIEW = process.argv.includes("preview");

/** The policy of the page at `path`. */
export function contentSecurityPolicy(path: string): string {
  const unsafeEval = PREVIEW || EVAL_PAGES.includes(path);
  return unsafeEval ? CONTENT_SECURITY_POLICY.replace("'wasm-unsafe-eval'", "'wasm-unsafe-eval' 'unsafe-eval'") : CONTENT_SECURITY_POLICY;
}

export default {
  root: "src",
  title: "MaskAU",
  pages: [{ name: "Stages", open: true, pages: STAGE_PAGES }],
  // The default stylesheet list pulls a web font from a CDN; use local styles only.
  globalStylesheets: ["observablehq:stdlib/inputs.css"],
  style: "style.css",
  // After the policy: on a host that sends no isolation headers, the service worker that
  // makes the page cross-origin isolated, so that wasm runs threaded (src/lib/coi.ts).
  head: ({ path }: { path: string }) =>
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(path)}">\n<script>${coiRegistration(path)}</script>\n<link rel="icon" href="favicon.svg" type="image/svg+xml">`,
  // The service worker, built at the site's root (the only place whose service worker
  // covers every page), and one report page per run record.
  dynamicPaths: [`/${COI_SERVICE_WORKER_FILE}`, ...RUN_IDS.map((id) => `/runs/${id}`)],
  header: `<div class="maskau-header"><span class="maskau-title">MaskAU · occlusion-robust AU recognition</span><span id="maskau-backend"></span></div>`,
  footer: "MaskAU: occlusion-robust facial action unit recognition from a masked autoencoder's latent space.",
  pager: true,
  toc: true,
  search: false,
};

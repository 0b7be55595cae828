// The service worker that makes the built site cross-origin isolated on hosts that cannot
// set headers (see src/lib/coi.ts); built at the site's root as /coi-sw.js
// (observablehq.config.ts's dynamicPaths).
import { COI_SERVICE_WORKER } from "./lib/coi.js";

process.stdout.write(COI_SERVICE_WORKER);

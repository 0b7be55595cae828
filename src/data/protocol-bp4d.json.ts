// Framework data loader: the protocol's results on the BP4D-like data, aggregated from the
// committed ledger (results/paper/bp4d) exactly as `maskau reproduce paper --aggregate-only`
// and docs/results.md aggregate them (2,000 resamples, seed 0, margin 2 points): the tables'
// conditions and claims and Fig. 3's curves with their intervals. Its cached output is
// dropped before every build (scripts/prebundle.mjs), so a ledger that grew is read again.
import { aggregateProtocol } from "../lib/protocol/aggregate.js";
import { aggregateCurves } from "../lib/protocol/curves.js";
import { LEDGER_ROOT, readLedgerEvals } from "../lib/protocol/ledger-node.js";

const ledger = new URL(`../../${LEDGER_ROOT}/bp4d`, import.meta.url).pathname;
const files = readLedgerEvals(ledger);
const results = aggregateProtocol(files, { resamples: 2000, margin: 0.02, seed: 0 });
const curves = aggregateCurves(files, { resamples: 2000, seed: 0 });
process.stdout.write(JSON.stringify({ ledger: `${LEDGER_ROOT}/bp4d`, results, curves }));

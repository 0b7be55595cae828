// Framework data loader, parameterized by dataset (protocol-bp4d.json, protocol-disfa.json):
// the protocol's results aggregated from the committed ledger (results/paper/<dataset>)
// exactly as `maskau reproduce paper --aggregate-only` and docs/results.md aggregate them:
// the tables' conditions and claims and Fig. 3's curves with their intervals (nulls while the
// ledger has no evaluation). Its cached output is dropped before every build
// (scripts/prebundle.mjs), so a ledger that grew is read again.
import { parseArgs } from "node:util";
import { PROTOCOL_DATASETS, type ProtocolDataset } from "../lib/eval/evaluation-settings.js";
import { LEDGER_ROOT, protocolPageData } from "../lib/protocol/ledger-node.js";

const { dataset } = parseArgs({ options: { dataset: { type: "string" } } }).values;
if (!PROTOCOL_DATASETS.includes(dataset as ProtocolDataset)) throw new Error(`protocol-${dataset}.json: no such dataset (${PROTOCOL_DATASETS.join(" or ")})`);
const root = new URL(`../../${LEDGER_ROOT}`, import.meta.url).pathname;
process.stdout.write(JSON.stringify({ ...protocolPageData(dataset!, root), ledger: `${LEDGER_ROOT}/${dataset}` }));

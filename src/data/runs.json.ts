// The runs index: every record of src/data/records (checked), without the feature maps'
// coordinates, for the Report page's list and comparison. Report pages of single runs read
// their record file itself.
import { readRecordsDir } from "../lib/records/node.js";
import { indexEntry } from "../lib/records/tables.js";

process.stdout.write(JSON.stringify(readRecordsDir().map(indexEntry)));

/**
 * `node --import tsx scripts/demo-head.ts`: makes sure the demo-head GLB exists in the model cache and prints
 * `{"file": "<path>"}` on stdout. Called by the /api/demo-head route (lib/demo-head.ts); usable by hand.
 */
import { ensureDemoHeadFile } from '../lib/demo-head-build.ts';

const file = await ensureDemoHeadFile();
process.stdout.write(`${JSON.stringify({ file })}\n`);

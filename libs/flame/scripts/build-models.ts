/**
 * Builds the default open head model (flame2023-open-arkit) into ${SEIF_CACHE_DIR:-~/.cache/seif}/models/.
 * Deterministic: same assets and code give the same file. `--force` rebuilds even when the cache is current.
 */
import { defaultModelPath, loadDefaultHeadModel } from '../src/build/default-model.js';

const started = performance.now();
const model = await loadDefaultHeadModel({
  rebuild: process.argv.includes('--force'),
  log: (message) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`),
});
console.log(`${model.name}: ${model.vertexCount} vertices, ${model.identity.names.length} identity, ${model.expression.names.length} expression shapes (${String(model.meta.expressionSource)})`);
console.log(`-> ${defaultModelPath()} (${((performance.now() - started) / 1000).toFixed(1)} s)`);

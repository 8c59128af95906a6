/**
 * Internal: the worker-thread side of worker-pool.ts. Holds replicas of semantic fields by id and runs chunks of
 * a batch (shared counter, shared point and code buffers) until none are left.
 */
import { parentPort } from 'node:worker_threads';
import { SemanticField } from './semantic-field.js';
import { type WorkerReply, type WorkerRequest, runChunks } from './worker-pool.js';

const port = parentPort;
if (!port) throw new Error('semantic-worker.ts runs as a worker thread (see worker-pool.ts)');
const fields = new Map<number, SemanticField>();

port.on('message', (request: WorkerRequest) => {
  switch (request.type) {
    case 'init':
      // A replica that fails to build is never reported ready, so it is never asked to help.
      try {
        fields.set(request.id, new SemanticField(request.surface, request.options));
      } catch {
        return;
      }
      port.postMessage({ type: 'ready', id: request.id } satisfies WorkerReply);
      return;
    case 'drop':
      fields.delete(request.id);
      return;
    case 'run': {
      const field = fields.get(request.id);
      try {
        if (!field) throw new Error(`no replica of field ${request.id}`);
        const chunks = runChunks(field, new Float32Array(request.points, 0, 3 * request.count), new Float32Array(request.codes, 0, 3 * request.count),
          new Int32Array(request.counter), request.count);
        port.postMessage({ type: 'done', job: request.job, chunks } satisfies WorkerReply);
      } catch (error) {
        port.postMessage({ type: 'failed', job: request.job, id: request.id, message: error instanceof Error ? error.message : String(error) } satisfies WorkerReply);
      }
      return;
    }
  }
});

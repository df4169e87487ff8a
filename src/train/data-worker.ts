// Worker thread of BatchStream (data.ts): renders each requested batch index and posts it back, images transferred.
import { parentPort, workerData } from 'node:worker_threads';
import { BugError } from '../errors.ts';
import { renderBatch, type BatchSpec } from './data.ts';

if (!parentPort) throw new BugError('data-worker.ts must run as a worker thread');
const port = parentPort;
const spec = workerData as BatchSpec;
port.on('message', (index: number) => {
  const batch = renderBatch(index, spec);
  port.postMessage(batch, batch.objectMasks ? [batch.images.buffer as ArrayBuffer, batch.objectMasks.buffer as ArrayBuffer] : [batch.images.buffer as ArrayBuffer]);
});

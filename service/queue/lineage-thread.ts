import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../../analysis/errors.ts';
import { LineageIndex } from '../../analysis/lineage/lineage-clustering.ts';
import { decodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import type { Lineage } from './job-schema.ts';
import type { SignedImage } from './lineage-grouper.ts';

/** One clustering per thread: signatures in (workerData), lineages out, then the thread ends. */
async function cluster(images: SignedImage[]): Promise<Lineage[]> {
  await loadOpenCV();
  const index = new LineageIndex();
  index.cluster(images.map((image) => ({ id: image.hash, signature: decodeSignature(Buffer.from(image.signature, 'base64')) })));
  return index.list().map((lineage) => ({ id: lineage.id, members: lineage.members }));
}

cluster(workerData as SignedImage[]).then(
  (lineages) => parentPort?.postMessage({ lineages }),
  (e: unknown) => parentPort?.postMessage({ error: describeError(e) }),
);

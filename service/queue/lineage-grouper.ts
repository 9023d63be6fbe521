import { Worker } from 'node:worker_threads';
import { ArtmetaError } from '../../analysis/errors.ts';
import type { Lineage } from './job-schema.ts';

/** An image to group: its content hash and encoded lineage signature (base64). */
export interface SignedImage {
  hash: string;
  signature: string;
}

/** Groups images into lineages (derivatives of one background image); every hash lands in one. */
export type LineageGrouper = (images: readonly SignedImage[]) => Promise<Lineage[]>;

const THREAD_URL = new URL('./lineage-thread-entry.mjs', import.meta.url);

/**
 * Clusters on a thread of its own (analysis/lineage's LineageIndex: OpenCV similarity checks), so a
 * large batch never blocks the event loop that renews the worker's job locks.
 */
export const groupOnThread: LineageGrouper = (images) =>
  new Promise((resolve, reject) => {
    const thread = new Worker(THREAD_URL, { workerData: images });
    thread.once('message', (reply: { lineages: Lineage[] } | { error: { code: string; message: string } }) => {
      if ('lineages' in reply) resolve(reply.lineages);
      else reject(new ArtmetaError('INTERNAL', `lineage clustering failed: ${reply.error.message}`));
    });
    thread.once('error', (e) => reject(new ArtmetaError('INTERNAL', `lineage clustering failed: ${e.message}`)));
    thread.once('exit', (code) => reject(new ArtmetaError('INTERNAL', `lineage thread exited with code ${code}`)));
  });

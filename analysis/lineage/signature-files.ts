import { join } from 'node:path';
import { decodeImage } from '../image/decode-image.ts';
import type { ImageSignature } from './image-signature.ts';
import { lineageSignature } from './lineage-signature.ts';

/**
 * Decodes each file under `dir` and computes its lineage signature, one at a time on this thread
 * (evaluations and benchmarks; `artmeta cluster` spreads the same work over its analysis threads).
 * OpenCV must be loaded.
 */
export async function signaturesOfFiles(dir: string, files: string[]): Promise<ImageSignature[]> {
  const out: ImageSignature[] = [];
  for (const file of files) out.push(lineageSignature((await decodeImage(join(dir, file))).pixels));
  return out;
}

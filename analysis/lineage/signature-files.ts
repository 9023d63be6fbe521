import { join } from 'node:path';
import { decodeImage } from '../image/decode-image.ts';
import type { ImageSignature } from './image-signature.ts';
import { lineageSignature } from './lineage-signature.ts';
import { decodeSignature, encodeSignature } from './signature-codec.ts';

/**
 * Decodes each file under `dir` and computes its lineage signature, one at a time on this thread
 * (evaluations, fitting and benchmarks; `artmeta cluster` spreads the same work over its analysis
 * threads). Each goes through the signature codec, as every signature the product compares does
 * (threads hand them over encoded, the store and the catalogue keep them encoded): the codec rounds,
 * and a decision near the threshold can differ on the unrounded values.
 * OpenCV must be loaded.
 */
export async function signaturesOfFiles(dir: string, files: string[]): Promise<ImageSignature[]> {
  const out: ImageSignature[] = [];
  for (const file of files) out.push(decodeSignature(encodeSignature(await lineageSignature((await decodeImage(join(dir, file))).pixels))));
  return out;
}

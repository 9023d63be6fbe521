import { join } from 'node:path';
import { decodeImage } from '../image/decode-image.ts';
import { computeSignature, type ImageSignature, type SignatureOptions } from './image-signature.ts';

/**
 * Decodes each file under `dir` and computes its signature, one at a time (the working copies are
 * large; signatures are small). OpenCV must be loaded.
 */
export async function signaturesOfFiles(
  dir: string,
  files: string[],
  options: SignatureOptions = {},
  onProgress?: (done: number) => void,
): Promise<ImageSignature[]> {
  const out: ImageSignature[] = [];
  for (const file of files) {
    const image = await decodeImage(join(dir, file));
    out.push(computeSignature(image.pixels, options));
    onProgress?.(out.length);
  }
  return out;
}

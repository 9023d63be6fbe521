import { join } from 'node:path';
import { decodeImage } from '../image/decode-image.ts';
import { detectText } from '../text/detect-text.ts';
import { computeSignature, type ImageSignature, type SignatureOptions } from './image-signature.ts';

export interface SignatureFileOptions extends SignatureOptions {
  /**
   * Run text detection and give its regions to the signature as the text mask, so that title
   * treatments and badges neither add keypoints nor count in SSIM. Default true.
   */
  maskText?: boolean;
}

/**
 * Decodes each file under `dir` and computes its signature, one at a time (the working copies are
 * large; signatures are small). OpenCV must be loaded.
 */
export async function signaturesOfFiles(
  dir: string,
  files: string[],
  options: SignatureFileOptions = {},
  onProgress?: (done: number) => void,
): Promise<ImageSignature[]> {
  const { maskText = true, ...signatureOptions } = options;
  const out: ImageSignature[] = [];
  for (const file of files) {
    const { pixels } = await decodeImage(join(dir, file));
    const textRegions = maskText ? (await detectText(pixels)).regions : signatureOptions.textRegions;
    out.push(computeSignature(pixels, { ...signatureOptions, ...(textRegions ? { textRegions } : {}) }));
    onProgress?.(out.length);
  }
  return out;
}

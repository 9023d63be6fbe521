import type { Analysis } from './analysis-schema.ts';
import { decodeAndAnalyze, type AnalyzeOptions } from './analyze-image.ts';
import { scaleBox } from './geometry/box.ts';
import { lineageSignature } from './lineage/lineage-signature.ts';
import { encodeSignature } from './lineage/signature-codec.ts';

/**
 * The whole analysis of one image as a job does it: decode, people, edge focus, crops, text, and the
 * encoded lineage signature of the same decoded pixels, with the text the analysis found masked (no
 * second text detection). Throws ArtmetaError for bad input.
 */
export async function analyzeWithSignature(input: string | Buffer, options: AnalyzeOptions = {}): Promise<{ analysis: Analysis; signature: Uint8Array }> {
  const { analysis, decoded } = await decodeAndAnalyze(input, options);
  // The analysis reports text in displayed pixels; the signature works on the decoded working copy.
  const textRegions = options.text === false ? undefined : (analysis.text?.regions ?? []).map((r) => scaleBox(r, 1 / decoded.scale));
  return { analysis, signature: encodeSignature(await lineageSignature(decoded.pixels, textRegions)) };
}

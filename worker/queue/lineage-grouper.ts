/** An image to group: its content hash and encoded lineage signature (base64). */
export interface SignedImage {
  hash: string;
  signature: string;
}

/**
 * Groups images into lineages (derivatives of one background image). The clustering itself belongs
 * to worker/lineage; the `cluster` queue only calls it. Returns groups of hashes; every input hash
 * appears in exactly one group (singletons included).
 */
export type LineageGrouper = (images: readonly SignedImage[]) => string[][] | Promise<string[][]>;

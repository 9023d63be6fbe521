import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';

/** A signature carrying only descriptors: all the candidate index reads. */
export function withDescriptors(descriptors: Uint8Array[]): ImageSignature {
  const bytes = new Uint8Array(descriptors.length * 32);
  descriptors.forEach((d, k) => bytes.set(d, k * 32));
  return { features: { points: new Float32Array(descriptors.length * 2), descriptors: bytes } } as ImageSignature;
}

export function randomDescriptors(count: number, seed: number): Uint8Array[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () =>
    Uint8Array.from({ length: 32 }, () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 24;
    }),
  );
}

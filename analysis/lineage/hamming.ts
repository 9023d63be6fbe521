/** 256-bit binary descriptors as 8 × 32-bit words (signed: V8 keeps int32 values unboxed), for fast Hamming distances. */
export function descriptorWords(descriptors: Uint8Array): Int32Array {
  if (descriptors.byteOffset % 4 === 0) {
    return new Int32Array(descriptors.buffer, descriptors.byteOffset, descriptors.length / 4);
  }
  return new Int32Array(Uint8Array.from(descriptors).buffer);
}

export const WORDS_PER_DESCRIPTOR = 8;

/** Set bits of a 32-bit integer (SWAR). */
export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

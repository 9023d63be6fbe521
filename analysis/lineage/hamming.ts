/** 256-bit binary descriptors as 8 × 32-bit words (signed: V8 keeps int32 values unboxed), for fast Hamming distances. */
export function descriptorWords(descriptors: Uint8Array): Int32Array {
  if (descriptors.byteOffset % 4 === 0) {
    return new Int32Array(descriptors.buffer, descriptors.byteOffset, descriptors.length / 4);
  }
  return new Int32Array(Uint8Array.from(descriptors).buffer);
}

export const WORDS_PER_DESCRIPTOR = 8;


import type { ImageSignature } from './image-signature.ts';

/** Where a signature lies in an arena: its chunk and byte offset. */
export interface ArenaPlace {
  chunk: number;
  offset: number;
}

/**
 * Chunk size: ~3,000 signatures of ~21 kB. Large enough that a 100k catalogue's representatives need a
 * few dozen chunks (each announced once to every thread), small enough that the last, partly filled
 * one wastes little.
 */
const ARENA_CHUNK_BYTES = 64 << 20;

const HEADER_INTS = 13;

type ArrayPart = Uint8Array | Float32Array | Float64Array;

/**
 * Signatures copied bit for bit into SharedArrayBuffers, read back as views: the parallel clustering's
 * threads and its main thread see one copy of every representative instead of one each. Unlike
 * signature-codec.ts (the stored format, fixed point) nothing is rounded, so a pair verified on a view
 * gives exactly what it gives on the original. The views must not be written to.
 */
export class SignatureArena {
  readonly chunks: SharedArrayBuffer[] = [];
  private used: number;

  /** `onChunk` hears of each new chunk before any signature in it is handed out. */
  constructor(
    private readonly onChunk: (index: number, chunk: SharedArrayBuffer) => void = () => {},
    private readonly chunkBytes = ARENA_CHUNK_BYTES,
  ) {
    this.used = chunkBytes;
  }

  /** Copies `signature` in; returns where it lies and a copy reading from there. */
  write(signature: ImageSignature): { place: ArenaPlace; signature: ImageSignature } {
    const parts = arrayParts(signature);
    const bytes = parts.reduce((sum, part) => sum + align8(part.byteLength), align8(HEADER_INTS * 4));
    // An assertion: a signature is tens of kB (its feature frame and keypoints are bounded), a chunk tens of MB.
    if (bytes > this.chunkBytes) throw new RangeError(`assertion failed: a signature of ${bytes} bytes is larger than an arena chunk (a bug, never expected)`);
    if (this.used + bytes > this.chunkBytes) {
      this.chunks.push(new SharedArrayBuffer(this.chunkBytes));
      this.used = 0;
      this.onChunk(this.chunks.length - 1, this.chunks.at(-1)!);
    }
    const place = { chunk: this.chunks.length - 1, offset: this.used };
    writeAt(this.chunks[place.chunk]!, place.offset, signature, parts);
    this.used += bytes;
    return { place, signature: readSignature(this.chunks[place.chunk]!, place.offset) };
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** The signature's arrays in the order they are written after the header (readSignature reads them so). */
function arrayParts(s: ImageSignature): ArrayPart[] {
  return [
    Uint8Array.from(s.contentHash, (c) => c.charCodeAt(0)),
    s.histogram,
    s.thumbnail.data,
    s.features.points,
    s.features.descriptors,
    s.palette.lab,
    s.palette.weights,
    Float64Array.from(s.textRegions.flatMap((b) => [b.x, b.y, b.w, b.h])),
  ];
}

function writeAt(buffer: SharedArrayBuffer, offset: number, s: ImageSignature, parts: ArrayPart[]): void {
  const header = new Int32Array(buffer, offset, HEADER_INTS);
  header.set([
    s.width,
    s.height,
    s.featureFrame.width,
    s.featureFrame.height,
    s.thumbnail.width,
    s.thumbnail.height,
    s.contentHash.length,
    s.histogram.length,
    s.thumbnail.data.length,
    s.features.points.length,
    s.features.descriptors.length,
    s.palette.lab.length,
    s.textRegions.length,
  ]);
  let at = offset + align8(HEADER_INTS * 4);
  for (const array of parts) {
    new Uint8Array(buffer, at, array.byteLength).set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    at += align8(array.byteLength);
  }
}

/** The signature written at `offset` of `buffer`, its arrays views into the buffer. */
export function readSignature(buffer: SharedArrayBuffer, offset: number): ImageSignature {
  const [width, height, frameWidth, frameHeight, thumbWidth, thumbHeight, hashLength, bins, thumbBytes, pointCount, descriptorBytes, labCount, texts] = new Int32Array(
    buffer,
    offset,
    HEADER_INTS,
  ) as unknown as number[];
  let at = offset + align8(HEADER_INTS * 4);
  const take = <T>(make: (at: number) => T, bytes: number): T => {
    const out = make(at);
    at += align8(bytes);
    return out;
  };
  const hash = take((o) => new Uint8Array(buffer, o, hashLength!), hashLength!);
  const histogram = take((o) => new Float32Array(buffer, o, bins!), bins! * 4);
  const thumbnail = take((o) => new Uint8Array(buffer, o, thumbBytes!), thumbBytes!);
  const points = take((o) => new Float32Array(buffer, o, pointCount!), pointCount! * 4);
  const descriptors = take((o) => new Uint8Array(buffer, o, descriptorBytes!), descriptorBytes!);
  const lab = take((o) => new Float32Array(buffer, o, labCount!), labCount! * 4);
  const weights = take((o) => new Float32Array(buffer, o, labCount! / 3), (labCount! / 3) * 4);
  const boxes = take((o) => new Float64Array(buffer, o, texts! * 4), texts! * 32);
  return {
    contentHash: String.fromCharCode(...hash),
    width: width!,
    height: height!,
    histogram,
    thumbnail: { width: thumbWidth!, height: thumbHeight!, data: thumbnail },
    featureFrame: { width: frameWidth!, height: frameHeight! },
    features: { points, descriptors },
    palette: { lab, weights },
    textRegions: Array.from({ length: texts! }, (_, k) => ({ x: boxes[4 * k]!, y: boxes[4 * k + 1]!, w: boxes[4 * k + 2]!, h: boxes[4 * k + 3]! })),
  };
}

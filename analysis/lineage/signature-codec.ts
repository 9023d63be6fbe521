import { ArtmetaError } from '../errors.ts';
import type { ImageSignature } from './image-signature.ts';
import { DESCRIPTOR_BYTES } from './orb-features.ts';

/**
 * Compact little-endian binary form of an ImageSignature (what the queue worker stores in Redis).
 * Floats are stored as fixed point: histogram bins and palette weights in 1/65535, keypoints in 1/32 px,
 * Lab in 1/100, text boxes in 1/65535 of the image — far finer than anything the similarity resolves.
 */
const MAGIC = 0x41534947; // "ASIG"
/**
 * Format version. 2: keypoints on the contrast-normalised (CLAHE) frame spread over a 6×6 grid, 400 of
 * them, 64 px thumbnail. 3: the same layout, keypoints detected at FAST threshold 15 instead of 5 (a
 * v2 signature holds other keypoints for the same image; matched against v3 ones they would align
 * worse). Signatures of older versions are refused with STALE_SIGNATURE: recompute them from the image.
 * Still 3 since banners (longer than 8:1) got a taller feature frame (image-signature.ts,
 * MIN_FEATURE_SHORT_SIDE): the layout is unchanged (frame and thumbnail sizes are stored) and every
 * image up to 8:1 gets the same bytes as before (all 892 validation images, BENCHMARKS.md). A stored
 * signature of a longer image had no keypoints (frame under 63 px high) and matched nothing; it still
 * matches nothing. Between 8.06:1 and 8.19:1 (63 px frames, e.g. 728×90) it had 15-36 keypoints on
 * one row and often matched its copies; against recomputed signatures it mostly does not (7 of 8
 * re-encodes before, 0 of 8 mixed). So a stored banner can miss joins (it makes no new wrong one) until
 * it is recomputed (width / height over 8 says which). A bump would make every stored signature
 * stale, and every catalogue be rebuilt from the images, for images that only gain.
 */
export const SIGNATURE_VERSION = 3;
const POINT_SCALE = 32;
const LAB_SCALE = 100;
const UNIT = 65535;

export function encodeSignature(sig: ImageSignature): Uint8Array {
  const n = sig.features.points.length / 2;
  const k = sig.palette.weights.length;
  if (Math.max(sig.featureFrame.width, sig.featureFrame.height) * POINT_SCALE > UNIT) {
    throw new ArtmetaError('INVALID_ARGUMENT', `feature frame ${sig.featureFrame.width}x${sig.featureFrame.height} too large to encode`);
  }
  const size =
    4 + 1 + 16 + 4 + 2 + sig.histogram.length * 2 + 4 + sig.thumbnail.data.length + 4 + 2 + n * (4 + DESCRIPTOR_BYTES) + 1 + k * 8 + 1 + sig.textRegions.length * 8;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  const u8 = (v: number) => view.setUint8(o++, v);
  const u16 = (v: number) => {
    view.setUint16(o, Math.max(0, Math.min(UNIT, Math.round(v))), true);
    o += 2;
  };
  const i16 = (v: number) => {
    view.setInt16(o, Math.round(v), true);
    o += 2;
  };
  view.setUint32(o, MAGIC, true);
  o += 4;
  u8(SIGNATURE_VERSION);
  out.set(hexToBytes(sig.contentHash), o);
  o += 16;
  u16(sig.width);
  u16(sig.height);
  u16(sig.histogram.length);
  for (const v of sig.histogram) u16(v * UNIT);
  u16(sig.thumbnail.width);
  u16(sig.thumbnail.height);
  out.set(sig.thumbnail.data, o);
  o += sig.thumbnail.data.length;
  u16(sig.featureFrame.width);
  u16(sig.featureFrame.height);
  u16(n);
  for (const v of sig.features.points) u16(v * POINT_SCALE);
  out.set(sig.features.descriptors, o);
  o += sig.features.descriptors.length;
  u8(k);
  for (let c = 0; c < k; c++) {
    for (let d = 0; d < 3; d++) i16(sig.palette.lab[c * 3 + d]! * LAB_SCALE);
    u16(sig.palette.weights[c]! * UNIT);
  }
  u8(sig.textRegions.length);
  for (const b of sig.textRegions) for (const v of [b.x, b.y, b.w, b.h]) u16(v * UNIT);
  return out;
}

/** How many leading bytes of a signature say whether it is one of the current version: the magic number and the version. */
export const SIGNATURE_HEADER_BYTES = 5;

/**
 * Whether `bytes` (a signature, or its first SIGNATURE_HEADER_BYTES or more) begin a signature of the
 * current version: what decodeSignature accepts, told without reading the whole signature.
 */
export function isCurrentSignature(bytes: Uint8Array): boolean {
  if (bytes.length < SIGNATURE_HEADER_BYTES) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(0, true) === MAGIC && view.getUint8(4) === SIGNATURE_VERSION;
}

export function decodeSignature(bytes: Uint8Array): ImageSignature {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  const need = (count: number) => {
    if (o + count > bytes.length) throw new ArtmetaError('INVALID_ARGUMENT', 'signature is truncated');
  };
  const u8 = () => {
    need(1);
    return view.getUint8(o++);
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(o, true);
    o += 2;
    return v;
  };
  const i16 = () => {
    need(2);
    const v = view.getInt16(o, true);
    o += 2;
    return v;
  };
  const take = (count: number) => {
    need(count);
    const v = bytes.slice(o, o + count);
    o += count;
    return v;
  };
  need(4);
  if (view.getUint32(0, true) !== MAGIC) throw new ArtmetaError('INVALID_ARGUMENT', 'not an image signature');
  o = 4;
  const version = u8();
  if (version < SIGNATURE_VERSION) {
    throw new ArtmetaError('STALE_SIGNATURE', `signature version ${version} is older than the current ${SIGNATURE_VERSION}: recompute it from the image`);
  }
  if (version !== SIGNATURE_VERSION) throw new ArtmetaError('INVALID_ARGUMENT', `unsupported signature version ${version} (this build reads ${SIGNATURE_VERSION})`);
  const contentHash = Buffer.from(take(16)).toString('hex');
  const width = u16();
  const height = u16();
  const histogram = Float32Array.from({ length: u16() }, () => u16() / UNIT);
  const thumbWidth = u16();
  const thumbHeight = u16();
  const thumbnail = { width: thumbWidth, height: thumbHeight, data: take(thumbWidth * thumbHeight) };
  const featureFrame = { width: u16(), height: u16() };
  const n = u16();
  const points = Float32Array.from({ length: n * 2 }, () => u16() / POINT_SCALE);
  const descriptors = take(n * DESCRIPTOR_BYTES);
  const k = u8();
  const lab = new Float32Array(k * 3);
  const weights = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    for (let d = 0; d < 3; d++) lab[c * 3 + d] = i16() / LAB_SCALE;
    weights[c] = u16() / UNIT;
  }
  const textRegions = Array.from({ length: u8() }, () => ({ x: u16() / UNIT, y: u16() / UNIT, w: u16() / UNIT, h: u16() / UNIT }));
  if (o !== bytes.length) throw new ArtmetaError('INVALID_ARGUMENT', 'signature has trailing bytes');
  return { contentHash, width, height, histogram, thumbnail, featureFrame, features: { points, descriptors }, palette: { lab, weights }, textRegions };
}

function hexToBytes(hex: string): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new ArtmetaError('INVALID_ARGUMENT', `content hash must be 32 hex digits, got "${hex}"`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

import { createHash } from 'node:crypto';
import sharp, { type Sharp } from 'sharp';
import type { Box, Size } from '../../analysis/geometry/box.ts';
import { MAX_RENDER_SIDE, type RenderFormat, type RenderRequest } from './render-url.ts';
import { cropInMaster, isReduced, masterCrop, masterServes, masterSize, type RenderMaster } from './render-master.ts';
import { DEFAULT_RENDER_WEBP_EFFORT } from '../../service/config.ts';

export const RENDER_CONTENT_TYPES: Record<RenderFormat, string> = {
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
  png: 'image/png',
};

const PIXEL_CANVAS = /^(\d+)x(\d+)$/i;

/**
 * JPEG Huffman tables: sharp optimises them by default, a second pass over the image. Off, the
 * pixels are the same and a render costs less: on the 40 photos of bench:service at 640 px the
 * encode took 1.5 ms instead of 3.2 ms (CPU, one at a time) and a render 9.0 instead of 10.7 ms of
 * the server's CPU, for 2.5% more bytes.
 */
const JPEG_OPTIMISE_CODING = false;

/** How a picture is encoded: the request's format and quality, and the server's WebP effort (ARTMETA_RENDER_WEBP_EFFORT). */
export interface RenderEncoding extends Pick<RenderRequest, 'format' | 'quality'> {
  webpEffort?: number;
}

/** How each format is encoded: the asked quality, else the encoder's default. */
export function encoderOptions(format: RenderFormat, quality?: number, webpEffort = DEFAULT_RENDER_WEBP_EFFORT): { quality?: number; effort?: number; optimiseCoding?: boolean } {
  return {
    ...(quality !== undefined ? { quality } : {}),
    ...(format === 'webp' ? { effort: webpEffort } : {}),
    ...(format === 'jpeg' ? { optimiseCoding: JPEG_OPTIMISE_CODING } : {}),
  };
}

/**
 * From how many times larger than the output a crop is, a render resizes the whole image first and
 * takes the crop from the resized one. Only in that order does sharp let libjpeg decode a JPEG at
 * ½, ¼ or ⅛ of its size (shrink-on-load: sharp skips it when an extract comes before the resize),
 * and sharp takes the ½ step only from a 3× shrink on (its pipeline lowers the factor when the
 * whole shrink equals it: libjpeg rounds an odd side, and the slight upsample that corrects it
 * blurs). Below 3× both orders decode every pixel and the usual one keeps the crop's edges exact
 * and stops decoding at the crop's last row: on the 14 bench photos with a 2-3× crop the whole-first
 * order costs 11.0 against 10.8 ms CPU per JPEG render, so 2 here would gain nothing. Measured on 5
 * Debian wallpapers (ukui-wallpapers, 3640-3840×2400), a full-width 16:9 crop to 640×360: 77 → 46 ms
 * CPU each (decoded at ¼), pixels within 0.36/255 on average of the other order.
 */
const SHRINK_ON_LOAD_FROM = 3;

/**
 * The output size of a crop: the asked width or height, else a pixel canvas's own size
 * (`1280x720`), else the crop's; the other side from the canvas's shape. Without `enlarge` it stops
 * at the crop's own pixels, so a small source gives a smaller picture, never a blurred one.
 */
export function outputSize(crop: Box, request: Pick<RenderRequest, 'canvas' | 'width' | 'height' | 'enlarge'>): Size {
  const { aspect } = request.canvas;
  const pixels = PIXEL_CANVAS.exec(request.canvas.label);
  let width = request.width ?? (request.height !== undefined ? request.height * aspect : pixels ? Number(pixels[1]) : crop.w);
  if (!request.enlarge) width = Math.min(width, crop.w, crop.h * aspect);
  width = Math.min(width, MAX_RENDER_SIDE, MAX_RENDER_SIDE * aspect);
  return { width: Math.max(1, Math.round(width)), height: Math.max(1, Math.round(width / aspect)) };
}

/**
 * How a render gets its pixels: cut from the image's master (render-master.ts: the image itself up
 * to the master size, else scaled down to it) with the crop in the master's pixels, when the master
 * has the pixels the render needs; else decoded from the source's bytes, the whole image resized
 * first when the crop is much larger than the output (see SHRINK_ON_LOAD_FROM). Chosen from the
 * request, the image's size and the master policy (configuration) alone, never from what is cached, so one
 * URL always gives the same bytes.
 */
export type RenderPlan = { from: 'master'; master: Size; crop: Box; reduced: boolean } | { from: 'source'; order: 'shrink-first' | 'extract-first' };

/** The masters a process keeps: their longest side, and whether larger images get reduced ones (see keepsReducedMasters). */
export interface MasterPolicy {
  maxSide: number;
  reduced: boolean;
}

export function renderPlan(crop: Box, size: Size, source: Size, masters: MasterPolicy): RenderPlan {
  const master = masterSize(source, masters.maxSide);
  const reduced = isReduced(master, source);
  const inMaster = cropInMaster(crop, source, master);
  if ((masters.reduced || !reduced) && masterServes(inMaster, size, reduced)) return { from: 'master', master, crop: inMaster, reduced };
  return { from: 'source', order: resizesFirst(crop, size) ? 'shrink-first' : 'extract-first' };
}

/**
 * A plan as the ETag names it: a full-size master's renders keep the ETags they had before reduced
 * masters; a reduced master's name its size and how a JPEG's is decoded (at a DCT scale, see
 * jpegDecodeScale: new pixels, new ETags).
 */
function planLabel(plan: RenderPlan): string {
  if (plan.from === 'source') return plan.order;
  return plan.reduced ? `master ${plan.master.width}x${plan.master.height} dct-scaled` : 'master';
}

/** A render cut from a master: extract (the crop in the master's pixels), resize, encode. */
export function renderFromMaster(master: RenderMaster, crop: Box, size: Size, request: RenderEncoding): Promise<Buffer> {
  return encode(masterCrop(master, crop).resize(size.width, size.height, { fit: 'fill' }), request);
}

/**
 * A render decoded from the source's bytes, for a render its image's master has too few pixels for: orient as
 * displayed (crop boxes and `source`, the image's size, are in displayed pixels), extract, resize,
 * encode; a crop much larger than the output is resized first.
 */
export async function renderCrop(
  bytes: Buffer,
  crop: Box,
  size: Size,
  source: Size,
  request: RenderEncoding,
  maxPixels: number,
): Promise<Buffer> {
  const input = sharp(bytes, { autoOrient: true, limitInputPixels: maxPixels, pages: 1 });
  return encode(resizesFirst(crop, size) ? resizeThenExtract(input, crop, size, source) : extractThenResize(input, crop, size), request);
}

function encode(image: Sharp, request: RenderEncoding): Promise<Buffer> {
  // JPEG has no alpha: transparent areas go white, as a page behind an <img> usually is.
  const flat = request.format === 'jpeg' ? image.flatten({ background: '#ffffff' }) : image;
  return flat.toFormat(request.format, encoderOptions(request.format, request.quality, request.webpEffort)).toBuffer();
}

/** Whether a render resizes the whole image before taking the crop (see SHRINK_ON_LOAD_FROM). */
export function resizesFirst(crop: Box, size: Size): boolean {
  return Math.min(crop.w / size.width, crop.h / size.height) >= SHRINK_ON_LOAD_FROM;
}

function extractThenResize(image: Sharp, crop: Box, size: Size): Sharp {
  return image.extract({ left: crop.x, top: crop.y, width: crop.w, height: crop.h }).resize(size.width, size.height, { fit: 'fill' });
}

/** The whole image scaled as the crop must be, then the crop's place in it (within a pixel of the crop). */
function resizeThenExtract(image: Sharp, crop: Box, size: Size, source: Size): Sharp {
  const [sx, sy] = [size.width / crop.w, size.height / crop.h];
  // At least the output's size: the crop lies within the image.
  const whole = { width: Math.round(source.width * sx), height: Math.round(source.height * sy) };
  return image.resize(whole.width, whole.height, { fit: 'fill' }).extract({
    left: Math.min(Math.round(crop.x * sx), whole.width - size.width),
    top: Math.min(Math.round(crop.y * sy), whole.height - size.height),
    width: size.width,
    height: size.height,
  });
}

/**
 * A strong ETag for the picture a render gives, and the key of the rendered-picture cache: the
 * source's bytes, the crop, the output size, the plan (with a reduced master's size), the encoder's settings
 * and the libvips and sharp versions that encode, so that a change to any of them gives new ETags
 * for the new bytes.
 */
export function renderEtag(contentHash: string, crop: Box, size: Size, plan: RenderPlan, request: RenderEncoding): string {
  const encoding = JSON.stringify(encoderOptions(request.format, request.quality, request.webpEffort));
  const key = [contentHash, crop.x, crop.y, crop.w, crop.h, size.width, size.height, planLabel(plan), request.format, encoding, sharp.versions.vips, sharp.versions.sharp].join('|');
  return `"${createHash('sha256').update(key).digest('base64url').slice(0, 27)}"`;
}

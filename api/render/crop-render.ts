import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Box } from '../../analysis/geometry/box.ts';
import { MAX_RENDER_SIDE, type RenderFormat, type RenderRequest } from './render-url.ts';

export const RENDER_CONTENT_TYPES: Record<RenderFormat, string> = {
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
  png: 'image/png',
};

const PIXEL_CANVAS = /^(\d+)x(\d+)$/i;

/**
 * WebP encoder effort (0-6; sharp's default is 4). A render is encoded while its client waits: on
 * 20 photos resized to 640 px, effort 2 encoded in 34 ms (p50) against 96 ms at 4, for 3% more bytes
 * (35.2 against 34.1 KB); effort 0 took 14 ms but gave 20% more bytes (one core, machine loaded).
 */
const WEBP_EFFORT = 2;

/** How each format is encoded: the asked quality, else the encoder's default. */
export function encoderOptions(format: RenderFormat, quality?: number): { quality?: number; effort?: number } {
  return { ...(quality !== undefined ? { quality } : {}), ...(format === 'webp' ? { effort: WEBP_EFFORT } : {}) };
}

export interface Size {
  width: number;
  height: number;
}

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

/** One sharp pipeline: orient as displayed (crop boxes are in displayed pixels), extract, resize, encode. */
export async function renderCrop(bytes: Buffer, crop: Box, size: Size, request: Pick<RenderRequest, 'format' | 'quality'>, maxPixels: number): Promise<Buffer> {
  let image = sharp(bytes, { autoOrient: true, limitInputPixels: maxPixels, pages: 1 })
    .extract({ left: crop.x, top: crop.y, width: crop.w, height: crop.h })
    .resize(size.width, size.height, { fit: 'fill' });
  // JPEG has no alpha: transparent areas go white, as a page behind an <img> usually is.
  if (request.format === 'jpeg') image = image.flatten({ background: '#ffffff' });
  return image.toFormat(request.format, encoderOptions(request.format, request.quality)).toBuffer();
}

/** A strong ETag for the picture a render gives: the source's bytes, the crop and the encoding. */
export function renderEtag(contentHash: string, crop: Box, size: Size, request: Pick<RenderRequest, 'format' | 'quality'>): string {
  const key = [contentHash, crop.x, crop.y, crop.w, crop.h, size.width, size.height, request.format, request.quality ?? ''].join('|');
  return `"${createHash('sha256').update(key).digest('base64url').slice(0, 27)}"`;
}

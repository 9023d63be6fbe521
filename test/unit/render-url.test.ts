import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCanvasSpec } from '../../analysis/crop/canvas-spec.ts';
import { outputSize } from '../../api/render/crop-render.ts';
import { RENDER_PREFIX, renderPath, verifyRenderPath, type RenderRequest } from '../../api/render/render-url.ts';
import { loadConfig } from '../../service/config.ts';

const KEY = 'unit-test-render-key-0123456789abcdef';
const request: RenderRequest = { source: { url: 'https://example.com/a b.jpg?x=1&y=/2' }, canvas: parseCanvasSpec('16:9'), width: 640, quality: 70, format: 'avif', enlarge: true };
const rest = (path: string) => path.slice(RENDER_PREFIX.length + 1);

describe('signed render URLs', () => {
  it('read back as signed: source, canvas, size, quality, format, enlarge', () => {
    const path = renderPath(request, KEY);
    expect(path).toMatch(/^\/render\/[\w-]{43}\/canvas:16:9\/width:640\/quality:70\/enlarge:1\/url:[\w-]+\.avif$/);
    expect(verifyRenderPath(rest(path), KEY)).toEqual(request);
    expect(verifyRenderPath(rest(renderPath({ source: { path: 'dir/ü.jpg' }, canvas: parseCanvasSpec('1280x720'), format: 'png', enlarge: false }, KEY)), KEY)).toMatchObject({
      source: { path: 'dir/ü.jpg' },
      canvas: { label: '1280x720' },
    });
  });

  it('refuse another key, a missing key, and any changed byte (INVALID_SIGNATURE)', () => {
    const path = rest(renderPath(request, KEY));
    expect(() => verifyRenderPath(path, `${KEY}x`)).toThrow(expect.objectContaining({ code: 'INVALID_SIGNATURE' }));
    expect(() => verifyRenderPath(path, undefined)).toThrow(expect.objectContaining({ code: 'INVALID_SIGNATURE' }));
    for (let i = 44; i < path.length; i += 7) {
      const changed = path.slice(0, i) + (path[i] === 'a' ? 'b' : 'a') + path.slice(i + 1);
      expect(() => verifyRenderPath(changed, KEY), changed).toThrow(expect.objectContaining({ code: 'INVALID_SIGNATURE' }));
    }
  });

  it('signed but malformed options are INVALID_ARGUMENT', () => {
    for (const options of ['canvas:wide', 'canvas:16:9/width:0', 'canvas:16:9/width:640/height:360', 'canvas:16:9/width:99999', 'canvas:16:9/colour:red', 'width:640', 'canvas:16:9/canvas:1:1']) {
      const signed = `/${options}/url:${Buffer.from('https://example.com/a.jpg').toString('base64url')}.webp`;
      expect(() => verifyRenderPath(`${resign(signed)}${signed}`, KEY), options).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    const png = `/canvas:1:1/quality:80/path:YQ.png`;
    expect(() => verifyRenderPath(`${resign(png)}${png}`, KEY)).toThrow(/lossless/);
    const gif = `/canvas:1:1/path:YQ.gif`;
    expect(() => verifyRenderPath(`${resign(gif)}${gif}`, KEY)).toThrow(/format gif/);
  });
});

describe('render output size', () => {
  const crop = { x: 0, y: 0, w: 480, h: 270 };
  it('takes the asked width or height, the canvas giving the other side', () => {
    expect(outputSize(crop, { canvas: parseCanvasSpec('16:9'), width: 320, enlarge: false })).toEqual({ width: 320, height: 180 });
    expect(outputSize(crop, { canvas: parseCanvasSpec('16:9'), height: 90, enlarge: false })).toEqual({ width: 160, height: 90 });
    expect(outputSize(crop, { canvas: parseCanvasSpec('16:9'), enlarge: false })).toEqual({ width: 480, height: 270 });
  });
  it('never goes past the crop unless asked; a pixel canvas is its own size', () => {
    expect(outputSize(crop, { canvas: parseCanvasSpec('16:9'), width: 1280, enlarge: false })).toEqual({ width: 480, height: 270 });
    expect(outputSize(crop, { canvas: parseCanvasSpec('1280x720'), enlarge: false })).toEqual({ width: 480, height: 270 });
    expect(outputSize(crop, { canvas: parseCanvasSpec('1280x720'), enlarge: true })).toEqual({ width: 1280, height: 720 });
    expect(outputSize(crop, { canvas: parseCanvasSpec('16:9'), width: 8192, enlarge: true })).toEqual({ width: 8192, height: 4608 });
  });
});

describe('ARTMETA_RENDER_KEY', () => {
  it('is optional, and at least 32 characters when set', () => {
    expect(loadConfig({}).api.renderKey).toBeUndefined();
    expect(loadConfig({ ARTMETA_RENDER_KEY: KEY }).api.renderKey).toBe(KEY);
    expect(() => loadConfig({ ARTMETA_RENDER_KEY: 'short' })).toThrow(/ARTMETA_RENDER_KEY: at least 32/);
  });
});

/** The signature of a hand-made path, as renderPath computes it. */
function resign(signed: string): string {
  return createHmac('sha256', KEY).update(signed).digest('base64url');
}

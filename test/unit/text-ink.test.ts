import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { withMats } from '../../analysis/opencv/mat-scope.ts';
import { cv, loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { DistanceScratch, componentDistance } from '../../analysis/text/chamfer-distance.ts';
import { inkComponents } from '../../analysis/text/ink-components.ts';
import { contrastRuns } from '../../analysis/text/ink-runs.ts';
import { groupLines, mayFormLines } from '../../analysis/text/line-grouping.ts';
import type { GlyphCandidate } from '../../analysis/text/text-candidates.ts';

/**
 * The run-length glyph search stands in for OpenCV's threshold, connectedComponentsWithStats and
 * distanceTransform: on random blotchy images it must give exactly what they give.
 */
const SIZES = [
  [1, 1],
  [7, 3],
  [40, 31],
  [97, 64],
];

/** Random blobs of light and dark on mid grey. */
function blotchy(width: number, height: number, seed: number): Uint8Array {
  let state = seed * 2654435761 + 1;
  const random = (): number => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const gray = new Uint8Array(width * height).fill(128);
  for (let n = 0; n < (width * height) / 12; n++) {
    const value = random() < 0.5 ? 250 : 5;
    const x0 = Math.floor(random() * width);
    const y0 = Math.floor(random() * height);
    const w = 1 + Math.floor(random() * 6);
    const h = 1 + Math.floor(random() * 4);
    for (let y = y0; y < Math.min(height, y0 + h); y++) gray.fill(value, y * width + x0, y * width + Math.min(width, x0 + w));
  }
  return gray;
}

type Scope = Parameters<Parameters<typeof withMats>[0]>[0];
const WINDOW = 5;

/** Sums over the WINDOW × WINDOW square around each pixel, edges replicated. */
function windowSums(scope: Scope, gray: Uint8Array, width: number, height: number): Int32Array {
  const c = cv();
  const sums = scope.track(new c.Mat());
  const g = scope.track(c.matFromArray(height, width, c.CV_8UC1, gray));
  c.boxFilter(g, sums, c.CV_32S, new c.Size(WINDOW, WINDOW), new c.Point(-1, -1), false, c.BORDER_REPLICATE);
  return new Int32Array(sums.data32S);
}

/** OpenCV's binary map of pixels more than 10 above (light) or 9 below (dark) their blurred mean. */
function openCvBinary(scope: Scope, gray: Uint8Array, width: number, height: number, light: boolean) {
  const c = cv();
  const g = scope.track(c.matFromArray(height, width, c.CV_8UC1, gray));
  const m = scope.track(new c.Mat());
  c.blur(g, m, new c.Size(WINDOW, WINDOW), new c.Point(-1, -1), c.BORDER_REPLICATE);
  const difference = scope.track(new c.Mat());
  if (light) c.subtract(g, m, difference);
  else c.subtract(m, g, difference);
  const binary = scope.track(new c.Mat());
  c.threshold(difference, binary, light ? 10 : 9, 255, c.THRESH_BINARY);
  return binary;
}

describe('run-length ink components', () => {
  beforeAll(() => loadOpenCV());

  it.each(SIZES)('match OpenCV components, their order and distances on a %ix%i image', (width, height) => {
    for (let seed = 0; seed < 8; seed++) {
      const gray = blotchy(width, height, seed);
      const runs = withMats((scope) => contrastRuns(gray, windowSums(scope, gray, width, height), WINDOW * WINDOW, width, height, 10, 9));
      for (const light of [true, false]) {
        const ink = light ? runs.light : runs.dark;
        const components = inkComponents(ink);
        const order = [...Array(components.count).keys()].sort((a, b) => components.blockOrder[a]! - components.blockOrder[b]!);
        withMats((scope) => {
          const c = cv();
          const binary = openCvBinary(scope, gray, width, height, light);
          const labels = scope.track(new c.Mat());
          const stats = scope.track(new c.Mat());
          const centroids = scope.track(new c.Mat());
          const count = c.connectedComponentsWithStats(binary, labels, stats, centroids, 8, c.CV_32S);
          const distance = scope.track(new c.Mat());
          c.distanceTransform(binary, distance, c.DIST_L2, 3);
          const expected = [];
          for (let l = 1; l < count; l++) expected.push([...stats.data32S.slice(l * 5, l * 5 + 5)]);
          const found = order.map((k) => {
            const x = components.x0[k]!;
            const y = components.y0[k]!;
            return [x, y, components.x1[k]! - x, components.y1[k]! - y, components.area[k]!];
          });
          expect(found).toEqual(expected);
          if (width * height > 1000) expect(found.length).toBeGreaterThan(5);
          const scratch = new DistanceScratch();
          order.forEach((k, index) => {
            const d = componentDistance(ink, components, k, scratch);
            for (let y = components.y0[k]!; y < components.y1[k]!; y++) {
              for (let x = components.x0[k]!; x < components.x1[k]!; x++) {
                if (labels.data32S[y * width + x] !== index + 1) continue;
                expect(d.values[(y - d.top) * d.stride + x - d.left]).toBe(distance.data32F[y * width + x]);
              }
            }
          });
        });
      }
    }
  });
});

describe('mayFormLines', () => {
  const glyphArb = fc.record({
    x: fc.integer({ min: 0, max: 200 }),
    y: fc.integer({ min: 0, max: 60 }),
    w: fc.integer({ min: 2, max: 40 }),
    h: fc.integer({ min: 6, max: 40 }),
    ink: fc.integer({ min: 0, max: 255 }),
    strokeWidth: fc.integer({ min: 0, max: 6 }),
  });

  it('drops only glyphs that no line would contain', () => {
    fc.assert(
      fc.property(fc.array(glyphArb, { maxLength: 30 }), (specs) => {
        const glyphs: GlyphCandidate[] = specs.map((s) => ({ ...s, area: s.w * s.h, strokeVariation: 0.1, contrast: 0.3, transform: 'adaptive-light' }));
        expect(groupLines(mayFormLines(glyphs))).toEqual(groupLines(glyphs));
      }),
    );
  });
});

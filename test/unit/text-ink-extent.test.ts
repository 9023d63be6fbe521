import { beforeAll, describe, expect, it } from 'vitest';
import type { Box } from '../../analysis/geometry/box.ts';
import type { RgbImage } from '../../analysis/image/rgb-image.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import type { DbBox } from '../../analysis/text/db-postprocess.ts';
import { inkExtent } from '../../analysis/text/ink-extent.ts';

/** A 200×100 grey image with grey-level rectangles painted in order. */
function image(rects: Array<Box & { v: number }>): RgbImage {
  const data = new Uint8Array(200 * 100 * 3).fill(200);
  for (const r of rects) for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) data.fill(r.v, (y * 200 + x) * 3, (y * 200 + x) * 3 + 3);
  return { data, width: 200, height: 100, channels: 3 };
}

const box: DbBox = {
  x: 40, y: 30, w: 120, h: 40, score: 0.9, angle: 0,
  corners: [{ x: 40, y: 30 }, { x: 160, y: 30 }, { x: 160, y: 70 }, { x: 40, y: 70 }],
  kernel: { x: 55, y: 42, w: 90, h: 16 },
};

/** Three light "letters" (20×14) on a light-grey ground, each with a black stroke 3 px wide. */
const strokedLetters = [60, 90, 120].flatMap((x) => [
  { x: x - 3, y: 40, w: 26, h: 20, v: 0 },
  { x, y: 43, w: 20, h: 14, v: 250 },
]);
/** Dark clutter in DB's margin above and below the line, so the light fill is the densest ink on the kernel. */
const marginClutter = [
  { x: 41, y: 31, w: 118, h: 7, v: 0 },
  { x: 41, y: 63, w: 118, h: 6, v: 0 },
];

describe('inkExtent', () => {
  beforeAll(() => loadOpenCV());

  it('keeps a stroke of the other polarity round the letters (the truth includes it)', () => {
    expect(inkExtent(image([...marginClutter, ...strokedLetters]), box)).toEqual({ x: 57, y: 40, w: 86, h: 20 });
  });

  it('does not widen to ink of the other polarity that runs on to the edge of DB box', () => {
    const letters = [60, 90, 120].map((x) => ({ x, y: 43, w: 20, h: 14, v: 250 }));
    const shadowBand = { x: 40, y: 40, w: 120, h: 20, v: 0 };
    expect(inkExtent(image([...marginClutter, shadowBand, ...letters]), box)).toEqual({ x: 60, y: 43, w: 80, h: 14 });
  });

  it('takes the other polarity when the ink found covers only part of DB kernel (letter counters, not letters)', () => {
    // Dark letters, "C" then two closed ones, with bars above and below DB's kernel and dark
    // clutter in its margin: dark ink is denser on the margin than on the kernel, so the light side
    // looks like the text, but its glyph components are only the two closed counters
    // (texth_072's "САД" was cut to them before).
    const letters = [60, 90, 120].flatMap((x, i) => [
      { x, y: 40, w: 20, h: 20, v: 0 },
      { x: x + 3, y: 43, w: i === 0 ? 17 : 14, h: 14, v: 200 },
    ]);
    expect(inkExtent(image([...marginClutter, ...letters]), box)).toEqual({ x: 60, y: 40, w: 80, h: 20 });
  });
});

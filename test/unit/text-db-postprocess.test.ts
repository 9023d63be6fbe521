import { beforeAll, describe, expect, it } from 'vitest';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { dbBoxes } from '../../analysis/text/db-postprocess.ts';
import { networkInputSize, type ProbabilityMap } from '../../analysis/text/text-detector-network.ts';

/** A 100×60 map (2 image px per map px) with rectangles of constant probability. */
function map(blocks: Array<{ x: number; y: number; w: number; h: number; p: number }>): ProbabilityMap {
  const data = new Float32Array(100 * 60);
  for (const b of blocks) for (let y = b.y; y < b.y + b.h; y++) for (let x = b.x; x < b.x + b.w; x++) data[y * 100 + x] = b.p;
  return { data, width: 100, height: 60, scaleX: 2, scaleY: 2 };
}

describe('DB post-processing', () => {
  beforeAll(() => loadOpenCV());

  it('grows a text kernel by the unclip distance (area × 1.5 / perimeter) and maps it to image px', () => {
    const [box, ...rest] = dbBoxes(map([{ x: 20, y: 20, w: 50, h: 10, p: 0.9 }]));
    expect(rest).toEqual([]);
    // Contour through pixel centres: 49 × 9 kernel, unclip distance 49·9·1.5 / (2·58) ≈ 5.7 map px.
    expect(box!.x).toBeCloseTo(2 * (20 - 5.7), 0);
    expect(box!.w).toBeCloseTo(2 * (49 + 11.4), 0);
    expect(box!.h).toBeCloseTo(2 * (9 + 11.4), 0);
    expect(box!.score).toBeCloseTo(0.9, 2);
    expect(box!.kernel).toMatchObject({ x: 40, y: 40, w: 98, h: 18 });
    expect(box!.angle).toBeCloseTo(0, 5);
  });

  it('drops kernels whose mean probability is under the box threshold, and specks', () => {
    expect(dbBoxes(map([{ x: 10, y: 10, w: 40, h: 10, p: 0.5 }, { x: 80, y: 40, w: 2, h: 2, p: 0.99 }]))).toEqual([]);
  });

  it('sizes the network input as PaddleOCR does: long side limited, sides multiples of 32', () => {
    expect(networkInputSize(1280, 720, 960)).toEqual({ width: 960, height: 544 });
    expect(networkInputSize(300, 200, 960)).toEqual({ width: 288, height: 192 });
    expect(networkInputSize(10, 10, 960)).toEqual({ width: 32, height: 32 });
  });

  it('enlarges an image under minLongSide to it, never past limitSide', () => {
    expect(networkInputSize(300, 200, 736, 736)).toEqual({ width: 736, height: 480 });
    expect(networkInputSize(300, 200, 640, 736)).toEqual({ width: 640, height: 416 });
    expect(networkInputSize(1280, 720, 736, 736)).toEqual({ width: 736, height: 416 });
  });
});

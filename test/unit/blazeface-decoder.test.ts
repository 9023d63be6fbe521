import { describe, expect, it } from 'vitest';
import { decodeBlazeFace, suppressOverlaps, type BlazeFaceOutputs } from '../../analysis/people/blazeface-decoder.ts';

/** Outputs where every anchor is certain there is no face (logit -20). */
function silentOutputs(): BlazeFaceOutputs {
  return {
    scores16: new Float32Array(512).fill(-20),
    boxes16: new Float32Array(512 * 16),
    scores8: new Float32Array(384).fill(-20),
    boxes8: new Float32Array(384 * 16),
  };
}

describe('decodeBlazeFace', () => {
  it('finds nothing when no anchor scores', () => {
    expect(decodeBlazeFace(silentOutputs(), 0.5)).toEqual([]);
  });

  it('places a box at its anchor cell plus the regressed offset, sized by the regressed size', () => {
    const outputs = silentOutputs();
    // 16×16 layer, cell (column 3, row 5), second anchor: index (5 * 16 + 3) * 2 + 1.
    const anchor = (5 * 16 + 3) * 2 + 1;
    outputs.scores16[anchor] = 2; // sigmoid(2) ≈ 0.881
    outputs.boxes16.set([8, -4, 32, 64], anchor * 16);
    const [box, ...rest] = decodeBlazeFace(outputs, 0.5);
    expect(rest).toEqual([]);
    const cx = 3.5 / 16 + 8 / 256;
    const cy = 5.5 / 16 - 4 / 256;
    expect(box!.score).toBeCloseTo(0.8808, 3);
    expect(box!.x).toBeCloseTo(cx - 16 / 256, 6);
    expect(box!.y).toBeCloseTo(cy - 32 / 256, 6);
    expect(box!.w).toBeCloseTo(32 / 256, 6);
    expect(box!.h).toBeCloseTo(64 / 256, 6);
  });

  it('reads the 8×8 layer with six anchors per cell and drops scores under the threshold', () => {
    const outputs = silentOutputs();
    const anchor = (7 * 8 + 7) * 6 + 5; // last cell, last anchor
    outputs.scores8[anchor] = 0;
    outputs.boxes8.set([0, 0, 16, 16], anchor * 16);
    expect(decodeBlazeFace(outputs, 0.6)).toEqual([]);
    const [box] = decodeBlazeFace(outputs, 0.5);
    expect(box!.x + box!.w / 2).toBeCloseTo(7.5 / 8, 6);
    expect(box!.y + box!.h / 2).toBeCloseTo(7.5 / 8, 6);
  });
});

describe('suppressOverlaps', () => {
  it('keeps the best of overlapping boxes and every separate one, best first', () => {
    const a = { x: 0, y: 0, w: 10, h: 10, score: 0.7 };
    const b = { x: 1, y: 1, w: 10, h: 10, score: 0.9 };
    const c = { x: 50, y: 50, w: 10, h: 10, score: 0.6 };
    expect(suppressOverlaps([a, b, c])).toEqual([b, c]);
  });
});

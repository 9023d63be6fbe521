import { describe, expect, it } from 'vitest';
import { scoreFaces } from '../eval/face-eval.ts';

const truth = [
  { x: 100, y: 100, w: 50, h: 60 },
  { x: 300, y: 100, w: 50, h: 60 },
  { x: 500, y: 100, w: 15, h: 18, ignore: true },
];

describe('scoreFaces (face eval matching)', () => {
  it('matches one-to-one at IoU >= 0.4: a second box on the same face is a false positive', () => {
    const counts = scoreFaces([{ x: 102, y: 100, w: 50, h: 60 }, { x: 98, y: 102, w: 50, h: 60 }], truth);
    expect(counts).toEqual({ tp: 1, fp: 1, fn: 1 });
  });

  it('counts a box overlapping too little as both a miss and a false positive', () => {
    expect(scoreFaces([{ x: 130, y: 130, w: 50, h: 60 }], truth)).toEqual({ tp: 0, fp: 1, fn: 2 });
  });

  it('neither rewards nor punishes a box on an ignore face, or one mostly inside it', () => {
    expect(scoreFaces([{ x: 499, y: 100, w: 16, h: 20 }], truth)).toEqual({ tp: 0, fp: 0, fn: 2 });
  });

  it('does not score predictions under 20 px', () => {
    expect(scoreFaces([{ x: 700, y: 700, w: 12, h: 19 }], truth)).toEqual({ tp: 0, fp: 0, fn: 2 });
  });
});

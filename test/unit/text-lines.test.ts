import { describe, expect, it } from 'vitest';
import { joinLines } from '../../analysis/text/line-joining.ts';

const word = (x: number, y: number, w: number, h: number, score = 0.8) => ({ x, y, w, h, score });

describe('joinLines', () => {
  it('joins words on one baseline into a line, with their area-weighted score', () => {
    const lines = joinLines([word(10, 100, 120, 40, 0.9), word(150, 104, 60, 36, 0.6), word(230, 100, 140, 40, 0.9)]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ x: 10, y: 100, w: 360, h: 40 });
    expect(lines[0]!.score).toBeGreaterThan(0.8);
  });

  it('keeps the two lines of a two-line title apart', () => {
    const lines = joinLines([word(10, 100, 200, 50), word(10, 160, 180, 50)]);
    expect(lines.map((l) => l.y).sort((a, b) => a - b)).toEqual([100, 160]);
  });

  it('keeps a badge far beside a title apart, and a small subtitle under a big title', () => {
    expect(joinLines([word(10, 100, 200, 40), word(600, 105, 60, 30)])).toHaveLength(2);
    expect(joinLines([word(10, 100, 300, 80), word(10, 170, 200, 20)])).toHaveLength(2);
  });
});

import { describe, expect, it } from 'vitest';
import { groupLines } from '../../analysis/text/line-grouping.ts';
import { mergeTextLines } from '../../analysis/text/line-merging.ts';
import type { GlyphCandidate } from '../../analysis/text/text-candidates.ts';

function glyph(x: number, y: number, w: number, h: number, ink = 230, strokeWidth = 4): GlyphCandidate {
  return { x, y, w, h, area: Math.round(w * h * 0.4), strokeWidth, strokeVariation: 0.2, contrast: 0.5, ink, transform: 'adaptive-light' };
}

describe('groupLines', () => {
  it('chains a row of letters and keeps the row below apart', () => {
    const word = [0, 1, 2, 3, 4].map((i) => glyph(10 + i * 24, 100, 20, 30));
    const below = [0, 1, 2].map((i) => glyph(10 + i * 24, 145, 20, 30));
    const lines = groupLines([...below, ...word].reverse());
    expect(lines.map(({ x, y, w, h }) => ({ x, y, w, h }))).toEqual(
      expect.arrayContaining([
        { x: 10, y: 100, w: 116, h: 30 },
        { x: 10, y: 145, w: 68, h: 30 },
      ]),
    );
    expect(lines).toHaveLength(2);
  });

  it('does not chain glyphs of another colour, stroke or size', () => {
    expect(groupLines([glyph(0, 0, 20, 30), glyph(24, 0, 20, 30, 40)])).toHaveLength(0);
    expect(groupLines([glyph(0, 0, 20, 30), glyph(24, 0, 20, 30, 230, 12)])).toHaveLength(0);
    expect(groupLines([glyph(0, 0, 20, 30), glyph(24, 0, 40, 70)])).toHaveLength(0);
  });

  it('keeps a lone component only when it is wide (touching letters)', () => {
    expect(groupLines([glyph(0, 0, 90, 30)])).toHaveLength(1);
    expect(groupLines([glyph(0, 0, 25, 30)])).toHaveLength(0);
  });
});

describe('mergeTextLines', () => {
  it('joins the words of a line, also a faint one next to a likely one', () => {
    const lines = mergeTextLines([
      { x: 0, y: 0, w: 100, h: 30, probability: 0.9 },
      { x: 130, y: 2, w: 80, h: 28, probability: 0.3 },
    ]);
    expect(lines).toEqual([{ x: 0, y: 0, w: 210, h: 30, probability: 0.9 }]);
  });

  it('drops a line with no likely word and collapses duplicates', () => {
    const lines = mergeTextLines([
      { x: 0, y: 0, w: 100, h: 30, probability: 0.3 },
      { x: 0, y: 200, w: 100, h: 30, probability: 0.95 },
      { x: 2, y: 201, w: 97, h: 29, probability: 0.7 },
    ]);
    expect(lines).toEqual([{ x: 0, y: 200, w: 100, h: 30, probability: 0.95 }]);
  });

  it('keeps stacked lines and far-apart words separate', () => {
    const lines = mergeTextLines([
      { x: 0, y: 0, w: 100, h: 30, probability: 0.9 },
      { x: 0, y: 36, w: 100, h: 30, probability: 0.9 },
      { x: 400, y: 0, w: 100, h: 30, probability: 0.9 },
    ]);
    expect(lines).toHaveLength(3);
  });
});

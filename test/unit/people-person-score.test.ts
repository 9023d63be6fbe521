import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { personScore } from '../../analysis/people/person-score.ts';

const image = { width: 1000, height: 800 };
const base = { focus: { x: 450, y: 350, w: 100, h: 100 }, sharpness: 8, strength: 0.8, image, largestFocus: 200 };

describe('personScore', () => {
  it('ranks a bigger, sharper, more central, surer person higher', () => {
    const s = personScore(base);
    expect(personScore({ ...base, focus: { x: 400, y: 300, w: 200, h: 200 } })).toBeGreaterThan(s);
    expect(personScore({ ...base, sharpness: 16 })).toBeGreaterThan(s);
    expect(personScore({ ...base, focus: { x: 0, y: 0, w: 100, h: 100 } })).toBeLessThan(s);
    expect(personScore({ ...base, strength: 1 })).toBeGreaterThan(s);
  });

  it('lets a crisp face beat a bigger blurred one', () => {
    const blurredBig = personScore({ ...base, focus: { x: 300, y: 250, w: 200, h: 200 }, sharpness: 1 });
    const crispSmall = personScore({ ...base, focus: { x: 600, y: 300, w: 150, h: 150 }, sharpness: 15 });
    expect(crispSmall).toBeGreaterThan(blurredBig);
  });

  it('compares sizes between the people of one image, so small figures are told apart as well as close-ups', () => {
    const centred = (side: number) => ({ x: 500 - side / 2, y: 400 - side / 2, w: side, h: side });
    const gap = (side: number): number =>
      personScore({ ...base, focus: centred(side * 1.1), largestFocus: side * 1.1 }) -
      personScore({ ...base, focus: centred(side), largestFocus: side * 1.1 });
    expect(gap(40)).toBeGreaterThan(0.02);
    expect(gap(40)).toBeCloseTo(gap(150), 3);
  });

  it('stays within [0, 1] for any input', () => {
    fc.assert(
      fc.property(
        fc.record({ x: fc.integer({ min: -50, max: 1000 }), y: fc.integer({ min: -50, max: 800 }), w: fc.integer({ min: 0, max: 2000 }), h: fc.integer({ min: 0, max: 2000 }) }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 3000, noNaN: true }),
        (focus, sharpness, strength, largestFocus) => {
          const score = personScore({ focus, sharpness, strength, image, largestFocus });
          return score >= 0 && score <= 1;
        },
      ),
    );
  });
});

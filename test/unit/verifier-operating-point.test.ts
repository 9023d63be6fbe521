import { describe, expect, it } from 'vitest';
import { lineOperatingPoint } from '../../scripts/verifier-operating-point.ts';

const thresholds = [0.2, 0.4, 0.6, 0.8];

describe('lineOperatingPoint (fit:text)', () => {
  it('takes the best Hmean among thresholds leaving enough text-free images clear', () => {
    const clear = (t: number) => (t >= 0.6 ? 0.97 : 0.9);
    const hmean = (t: number) => ({ 0.2: 0.9, 0.4: 0.88, 0.6: 0.7, 0.8: 0.75 })[t]!;
    expect(lineOperatingPoint(thresholds, clear, hmean, 0.95)).toEqual({ threshold: 0.8, clear: 0.97, hmean: 0.75, met: true });
  });

  // The bug: keeping every candidate competed as the starting point, so on a set where it scored a
  // higher Hmean than every allowed threshold, fit:text wrote threshold 0.5 with no text-free image clear.
  it('never falls back to keeping every candidate when allowed thresholds score lower', () => {
    const point = lineOperatingPoint(thresholds, (t) => (t >= 0.8 ? 0.96 : 0.5), () => 0.4, 0.95);
    expect(point).toMatchObject({ threshold: 0.8, met: true });
  });

  it('says when no threshold leaves enough clear, and returns the one leaving the most', () => {
    const point = lineOperatingPoint(thresholds, (t) => t, (t) => 1 - t, 0.95);
    expect(point).toEqual({ threshold: 0.8, clear: 0.8, hmean: 1 - 0.8, met: false });
  });
});

import { describe, expect, it } from 'vitest';
import { activationQuantization, quantizeWeightsPerChannel } from '../../scripts/onnx-qdq.ts';

describe('int8 quantisation of the text network (scripts/onnx-qdq.ts)', () => {
  it('maps 0 exactly and spans the calibrated range in uint8, even for a range that excludes 0', () => {
    for (const range of [{ min: -1.5, max: 6 }, { min: 0.2, max: 3 }, { min: -4, max: -1 }]) {
      const { scale, zeroPoint } = activationQuantization(range);
      expect(Number.isInteger(zeroPoint) && zeroPoint >= 0 && zeroPoint <= 255).toBe(true);
      expect(scale * (0 - zeroPoint)).toBeLessThanOrEqual(Math.min(range.min, 0) + scale / 2);
      expect(scale * (255 - zeroPoint)).toBeGreaterThanOrEqual(Math.max(range.max, 0) - scale / 2);
    }
  });

  it('gives each output channel its own symmetric scale: its largest weight becomes ±127', () => {
    const weight = Float32Array.of(0.5, -0.2, 0.1, -0.01, 0.002, 0.004);
    const { values, scales } = quantizeWeightsPerChannel(weight, 2);
    expect([...values.slice(0, 3)]).toEqual([127, -51, 25]);
    expect(Math.max(...[...values.slice(3)].map(Math.abs))).toBe(127);
    weight.forEach((w, i) => expect(Math.abs(values[i]! * scales[Math.floor(i / 3)]! - w)).toBeLessThanOrEqual(scales[Math.floor(i / 3)]! / 2 + 1e-9));
  });
});

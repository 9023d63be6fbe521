import { describe, expect, it } from 'vitest';
import { matchFeatures } from '../../analysis/lineage/feature-match.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { randomDescriptors, withDescriptors } from '../support/descriptor-signatures.ts';

/** Descriptors at distinct places of a 512 px frame, so that a transform could be fitted to them. */
function placed(descriptors: Uint8Array[]): ImageSignature {
  const signature = withDescriptors(descriptors);
  descriptors.forEach((_, k) => signature.features.points.set([40 + (k % 5) * 100, 40 + Math.floor(k / 5) * 100], k * 2));
  return { ...signature, width: 512, height: 512, featureFrame: { width: 512, height: 512 } };
}

describe('matchFeatures', () => {
  it('matches a descriptor to a copy with a few bits flipped', () => {
    const a = randomDescriptors(20, 5);
    const b = a.map((d) => d.map((byte, i) => (i % 8 === 0 ? byte ^ 1 : byte)));
    expect(matchFeatures(placed(a), placed(b)).matches).toBe(20);
  });

  it('does not match descriptors to their complements (all 256 bits apart, not 0)', () => {
    const a = randomDescriptors(20, 5);
    const b = a.map((d) => d.map((byte) => ~byte & 0xff));
    expect(matchFeatures(placed(a), placed(b)).matches).toBe(0);
  });
});

describe('matchFeatures: coherent drift', () => {
  /** 100 descriptors on a 10 × 10 grid 45 px apart, b's keypoints moved by `move`. */
  const grid = (move: (x: number, y: number, k: number) => [number, number]): [ImageSignature, ImageSignature] => {
    const descriptors = randomDescriptors(100, 11);
    const at = (shift: boolean) => {
      const signature = withDescriptors(descriptors);
      descriptors.forEach((_, k) => {
        const x = 30 + (k % 10) * 45;
        const y = 30 + Math.floor(k / 10) * 45;
        const [dx, dy] = shift ? move(x, y, k) : [0, 0];
        signature.features.points.set([x + dx, y + dy], k * 2);
      });
      return { ...signature, width: 512, height: 512, featureFrame: { width: 512, height: 512 } };
    };
    return [at(false), at(true)];
  };

  it('is about 0 for keypoints jittered independently, as a copy places them', () => {
    let seed = 7;
    const jitter = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 3;
    const report = matchFeatures(...grid(() => [jitter(), jitter()]));
    expect(report.inliers).toBe(100);
    expect(report.coherentDrift).toBeLessThan(0.3);
  });

  it('sees a smooth displacement under the RANSAC threshold that near misses do not', () => {
    // Up to 3.5 px, smooth over ~130 px: every match stays an inlier (threshold 4 px), no near miss.
    const report = matchFeatures(...grid((x, y) => [2.5 * Math.sin((2 * Math.PI * x) / 256), 2.5 * Math.cos((2 * Math.PI * y) / 256)]));
    expect(report.inliers).toBe(100);
    expect(report.nearMisses).toBe(0);
    expect(report.coherentDrift).toBeGreaterThan(1.5);
  });
});

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

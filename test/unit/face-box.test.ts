import { describe, expect, it } from 'vitest';
import { faceBoxFromNetwork, imageFaceBoxFromNetwork, KEY_POINT_SIDE, networkFaceSide } from '../../analysis/people/face-box.ts';
import type { KeyPoints } from '../../analysis/people/blazeface-decoder.ts';

/** An upright frontal network face of side 100 at the origin, its key points at the fitted spans. */
const UPRIGHT: KeyPoints = {
  rightEye: { x: 30, y: 40 },
  leftEye: { x: 70, y: 40 },
  nose: { x: 50, y: 60 },
  mouth: { x: 50, y: 40 + 100 * KEY_POINT_SIDE.eyesToMouth },
  rightEar: { x: 50 - 50 * KEY_POINT_SIDE.earSpan, y: 50 },
  leftEar: { x: 50 + 50 * KEY_POINT_SIDE.earSpan, y: 50 },
};

/** The same face turned by `degrees` about its centre, with a network box shrunk to `side`. */
function rolled(degrees: number, side: number): { x: number; y: number; w: number; h: number; keyPoints: KeyPoints } {
  const rad = (degrees * Math.PI) / 180;
  const turn = ({ x, y }: { x: number; y: number }): { x: number; y: number } => ({
    x: 50 + (x - 50) * Math.cos(rad) - (y - 50) * Math.sin(rad),
    y: 50 + (x - 50) * Math.sin(rad) + (y - 50) * Math.cos(rad),
  });
  const keyPoints = Object.fromEntries(Object.entries(UPRIGHT).map(([k, p]) => [k, turn(p)])) as KeyPoints;
  return { x: 50 - side / 2, y: 50 - side / 2, w: side, h: side, keyPoints };
}

describe('network face boxes (face-box.ts)', () => {
  it('takes an upright face at the network box, as before', () => {
    const face = rolled(0, 100);
    expect(networkFaceSide(face)).toBeCloseTo(100, 5);
    const box = imageFaceBoxFromNetwork(face, 0);
    const before = faceBoxFromNetwork(face);
    for (const key of ['x', 'y', 'w', 'h'] as const) expect(box[key]).toBeCloseTo(before[key], 5);
  });

  // faces:roll: the network's box of a face rolled by 45° is ~0.8-0.9 of its upright side, its
  // key-point spans hold; the box was read as a smaller face than its upright neighbours.
  it('sizes a rolled face by its key points, not by the shrunken network box, and bounds it as turned', () => {
    const face = rolled(45, 85);
    expect(networkFaceSide(face)).toBeCloseTo(100, 5);
    const box = imageFaceBoxFromNetwork(face, 45);
    const upright = imageFaceBoxFromNetwork(rolled(0, 100), 0);
    expect(box.w).toBeGreaterThan(upright.w);
    expect(box.w * box.h).toBeGreaterThan(upright.w * upright.h);
    expect(box.x + box.w / 2).toBeGreaterThan(50); // the forehead lies up the face's own axis, turned to the right
  });

  it('keeps the network box side when it is larger than the key points say (a face turned aside)', () => {
    const face = { ...rolled(0, 100), keyPoints: { ...UPRIGHT, rightEar: { x: 40, y: 50 }, leftEar: { x: 60, y: 50 } } };
    expect(networkFaceSide(face)).toBeCloseTo(100, 5);
  });
});

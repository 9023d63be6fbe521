import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { liveScopedObjects, withMats } from '../../analysis/opencv/mat-scope.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { bodyDepth } from '../../analysis/people/body-depth.ts';
import { toGrayMat } from '../../analysis/opencv/gray-mat.ts';
import { fixture, PEOPLE_CUT_PATCH } from '../support/fixtures.ts';

async function depthIn(file: string, face: { x: number; y: number; w: number; h: number }): Promise<number> {
  const { pixels } = await decodeImage(fixture(file));
  return withMats((scope) => bodyDepth(scope, toGrayMat(scope, pixels), face));
}

describe('bodyDepth on real photos', () => {
  beforeAll(async () => {
    await loadOpenCV();
  });

  it('follows a man standing in front down to his feet at the bottom of the frame', async () => {
    // people-upper-body.jpg (640 px high), the man in front: face by eye.
    expect(await depthIn('people-upper-body.jpg', { x: 137, y: 210, w: 35, h: 49 })).toBeCloseTo((640 - 210) / 49, 5);
  });

  it('stops at the frame: a face filling the frame is seen only as a face', async () => {
    expect(await depthIn('people-close-up.jpg', { x: 90, y: 80, w: 105, h: 135 })).toBeCloseTo((330 - 80) / 135, 5);
  });

  it('stops where a sharp close-up ends over a blurred cat, whose fur keeps detail when sampled small', async () => {
    // focus-person-on-texture.jpg: the face the network finds, reaching from above the patch to
    // 43 px above its bottom edge; below lies the blurred fur, which has no crisp edges.
    expect(await depthIn('focus-person-on-texture.jpg', { x: 373, y: 13, w: 297, h: 384 })).toBe(1);
  });

  it('stops where a sharp patch of people ends over a blurred background, not at the frame', async () => {
    // focus-people-cut.jpg: the man on the left, face by eye; the frame would leave room for his feet.
    const face = { x: 122, y: 161, w: 25, h: 33 };
    const seenTo = face.y + (await depthIn('focus-people-cut.jpg', face)) * face.h;
    const patchEnd = PEOPLE_CUT_PATCH.y + PEOPLE_CUT_PATCH.h;
    expect(seenTo).toBeGreaterThan(patchEnd - face.h);
    expect(seenTo).toBeLessThanOrEqual(patchEnd + face.h);
    expect(liveScopedObjects()).toBe(0);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { liveScopedObjects, withMats } from '../../analysis/opencv/mat-scope.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { detectUpperBodyAround, isUpperBodyOf } from '../../analysis/people/body-detector.ts';
import { toGrayMat } from '../../analysis/opencv/gray-mat.ts';
import { fixture } from '../support/fixtures.ts';

/** The faces in `people-upper-body.jpg`, by eye: the man in front and the man at the table. */
const FRONT_FACE = { x: 137, y: 210, w: 35, h: 49 };
const TABLE_FACE = { x: 385, y: 230, w: 32, h: 38 };
/** A face-sized patch of the basket on the wall. */
const BASKET = { x: 245, y: 150, w: 35, h: 45 };

describe('detectUpperBodyAround on a real photo', () => {
  beforeAll(async () => {
    await loadOpenCV();
  });

  it('finds the head and shoulders of the man in front, his face where the cascade has its head', async () => {
    const { pixels } = await decodeImage(fixture('people-upper-body.jpg'));
    const bodies = withMats((scope) => detectUpperBodyAround(scope, toGrayMat(scope, pixels), FRONT_FACE, 3));
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) {
      expect(body.kind).toBe('upper');
      expect(isUpperBodyOf(FRONT_FACE, body.box)).toBe(true);
      // The window holds background on both sides of the shoulders.
      expect(body.box.w).toBeGreaterThan(FRONT_FACE.w * 4.5);
    }
    expect(liveScopedObjects()).toBe(0);
  });

  it('finds none around a basket on the wall, nor for the man bent over the table', async () => {
    const { pixels } = await decodeImage(fixture('people-upper-body.jpg'));
    const found = withMats((scope) => {
      const gray = toGrayMat(scope, pixels);
      return [BASKET, TABLE_FACE].map((face) => detectUpperBodyAround(scope, gray, face, 3).length);
    });
    expect(found).toEqual([0, 0]);
  });
});

describe('isUpperBodyOf', () => {
  const face = { x: 100, y: 100, w: 40, h: 50 };
  it('takes a window 6 face widths wide with the face centred, 0.45 of the way down', () => {
    expect(isUpperBodyOf(face, { x: 0, y: 37, w: 240, h: 196 })).toBe(true);
  });
  it('refuses a window too narrow for the head, or with the face at its edge or bottom', () => {
    expect(isUpperBodyOf(face, { x: 60, y: 60, w: 120, h: 100 })).toBe(false);
    expect(isUpperBodyOf(face, { x: 90, y: 37, w: 240, h: 196 })).toBe(false);
    expect(isUpperBodyOf(face, { x: 0, y: -40, w: 240, h: 196 })).toBe(false);
  });
});

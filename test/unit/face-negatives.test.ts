import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { detectPeople } from '../../analysis/people/detect-people.ts';
import { isConfidentProfile, PROFILE_KEY_POINTS, uprightTilt } from '../../analysis/people/face-detector.ts';
import { findNetworkFaces, type NetworkFace } from '../../analysis/people/face-network.ts';
import { fixture } from '../support/fixtures.ts';

async function facesIn(name: string) {
  const { pixels } = await decodeImage(fixture(name));
  const network = await findNetworkFaces(pixels);
  const faces = detectPeople(pixels, {}, network).filter((p) => p.face);
  return { network, faces };
}

describe('faces that hold up under checks that mean something', () => {
  beforeAll(async () => {
    await loadOpenCV();
  });

  it('takes no bare thigh with a round logo on it for a face', async () => {
    const { network, faces } = await facesIn('negative-tattoo-thigh.jpg');
    // The network sees a face in the logo (0.63) and the skin around it: the checks say no.
    expect(network.length).toBeGreaterThan(0);
    expect(faces).toEqual([]);
  });

  // Before the checks at the face's own scale, skin alone backed a confident network face: the
  // puppy (0.82) and the golden pig (0.82) were taken for faces, and a gorilla by its eyes.
  it.each(['negative-puppy.jpg', 'negative-pig.jpg', 'negative-gorilla.jpg'])(
    'takes no animal face for a face, whatever the network scores (%s)',
    async (name) => {
      const { network, faces } = await facesIn(name);
      expect(Math.max(...network.map((f) => f.score))).toBeGreaterThan(0.75);
      expect(faces).toEqual([]);
    },
  );
});

describe('isConfidentProfile (a profile by the network key points)', () => {
  // Key points in a 100-px network box at the origin, as BlazeFace places them.
  const face = (score: number, points: Readonly<Record<string, readonly [number, number]>>): NetworkFace => ({
    x: 0,
    y: 0,
    w: 100,
    h: 100,
    score,
    keyPoints: Object.fromEntries(Object.entries(points).map(([name, [x, y]]) => [name, { x, y }])) as NetworkFace['keyPoints'],
  });
  const profileLookingLeft = { rightEye: [25, 30], leftEye: [29, 29], nose: [10, 55], mouth: [25, 78], rightEar: [80, 30], leftEar: [90, 30] } as const;

  it('takes a profile: eyes closed up, the nose past them, an ear behind', () => {
    expect(isConfidentProfile(face(0.8, profileLookingLeft))).toBe(true);
    const lookingRight = Object.fromEntries(Object.entries(profileLookingLeft).map(([k, [x, y]]) => [k, [100 - x, y]])) as Record<string, readonly [number, number]>;
    expect(isConfidentProfile(face(0.8, lookingRight))).toBe(true);
  });

  it('takes no frontal layout, no nose between the eyes, no profile without an ear behind', () => {
    expect(isConfidentProfile(face(0.9, { rightEye: [30, 30], leftEye: [70, 30], nose: [50, 55], mouth: [50, 78], rightEar: [5, 35], leftEar: [95, 35] }))).toBe(false);
    expect(isConfidentProfile(face(0.9, { ...profileLookingLeft, nose: [27, 55] }))).toBe(false);
    expect(isConfidentProfile(face(0.9, { ...profileLookingLeft, rightEar: [40, 30], leftEar: [50, 30] }))).toBe(false);
  });

  it('takes no profile shape scored like the animals of that shape in the negatives set (up to 0.59)', () => {
    expect(isConfidentProfile(face(PROFILE_KEY_POINTS.minScore - 0.01, profileLookingLeft))).toBe(false);
  });
});

describe('uprightTilt (the turn that makes a network face upright for the cascades)', () => {
  it('turns by the eyes line whenever the eyes are apart, a slight tilt too (the cascades find fewer windows off upright)', () => {
    expect(uprightTilt({ rightEye: { x: 30, y: 30 }, leftEye: { x: 64.6, y: 50 } }, 100)).toBeCloseTo(30, 0);
    expect(uprightTilt({ rightEye: { x: 30, y: 30 }, leftEye: { x: 70, y: 37 } }, 100)).toBeCloseTo(9.9, 1);
  });

  // A profile's eyes lie on one another: their line pointed anywhere (-90 deg in faceapi__sample2's
  // profile), and the crop turned by it failed every check.
  it('keeps a profile upright, whatever its closed-up eyes line says', () => {
    expect(uprightTilt({ rightEye: { x: 29, y: 28 }, leftEye: { x: 29, y: 27 } }, 100)).toBe(0);
    expect(uprightTilt({ rightEye: { x: 15, y: 36 }, leftEye: { x: 24, y: 29 } }, 100)).toBe(0);
  });
});

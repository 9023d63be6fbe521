import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage } from '../../analysis/analyze-image.ts';
import { findFocalPoint, nearestPerson } from '../../analysis/focal-point.ts';
import type { DetectedPerson } from '../../analysis/people/detect-people.ts';
import { coverage, union } from '../../analysis/geometry/box.ts';
import { storedCropHints } from '../../analysis/crop/stored-crop-hints.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { findNetworkFaces } from '../../analysis/people/face-network.ts';
import { BLURRED_PEOPLE_PATCH as PATCH, fixture, PEOPLE_PATCH } from '../support/fixtures.ts';

describe('findFocalPoint', () => {
  beforeAll(async () => {
    await loadOpenCV();
  });

  it('takes a sharp patch over blurred people: faces without fine detail are background', async () => {
    const { pixels } = await decodeImage(fixture('focus-blurred-people.jpg'));
    const faces = await findNetworkFaces(pixels);
    const focal = findFocalPoint(pixels, {}, faces);
    expect(focal.people.filter((p) => p.face).length).toBeGreaterThan(0);
    expect(focal.method).toBe('edges');
    expect(coverage(PATCH, focal.roi)).toBeGreaterThan(0.9);
    // Relative energy alone lets them through: the whole image is blurred but for the patch.
    expect(findFocalPoint(pixels, { minSubjectDetail: 0, minSubjectCrispness: 0 }, faces).method).toBe('people');
  });

  it('takes a sharp patch over a large blurred face: its edges are soft in pixels, though it shows detail sampled small', async () => {
    const { pixels } = await decodeImage(fixture('focus-blurred-close-up.jpg'));
    const faces = await findNetworkFaces(pixels);
    const focal = findFocalPoint(pixels, {}, faces);
    const face = focal.people.find((p) => p.face);
    expect(face?.sharpness).toBeGreaterThanOrEqual(4);
    expect(face?.crispness).toBeLessThan(0.05);
    expect(focal.method).toBe('edges');
    // Crispness alone keeps it out: the face passes the detail and relative-energy checks.
    expect(findFocalPoint(pixels, { minSubjectCrispness: 0 }, faces).method).toBe('people');
  });

  it('asks for crisp edges only of faces off the sharp region: a face filling the frame is the sharp region', async () => {
    // A threshold no face meets shows which faces it applies to.
    const strict = { minSubjectCrispness: 0.5 };
    const fills = await decodeImage(fixture('people-face-fills-frame.jpg'));
    expect(findFocalPoint(fills.pixels, strict, await findNetworkFaces(fills.pixels)).method).toBe('people');
    // Here edge focus settles on the door frame beside the face.
    const beside = await decodeImage(fixture('people-close-up.jpg'));
    const faces = await findNetworkFaces(beside.pixels);
    expect(findFocalPoint(beside.pixels, {}, faces).method).toBe('people');
    expect(findFocalPoint(beside.pixels, strict, faces).method).toBe('edges');
  });

  it('takes the in-focus people of a group photo as the subject', async () => {
    const { pixels } = await decodeImage(fixture('people-group.jpg'));
    const focal = findFocalPoint(pixels, {}, await findNetworkFaces(pixels));
    expect(focal.method).toBe('people');
    expect(focal.people.filter((p) => p.face)).toHaveLength(4);
    expect(coverage(nearestPerson(focal.people)!.face!, focal.keep.at(-1)!)).toBe(1);
  });

  it('keeps the sharp region around people before people who reach out of it', async () => {
    const analysis = await analyzeImage(fixture('focus-people-patch.jpg'), { aspects: ['9:16', '2:3', '1:1', '16:9'], text: false });
    expect(analysis.method).toBe('people');
    expect(analysis.people.filter((p) => p.face).length).toBeGreaterThanOrEqual(2);
    for (const crop of Object.values(analysis.crops)) expect(coverage(PEOPLE_PATCH, crop)).toBeGreaterThan(0.95);
  });

  it('keeps every face of a group whole before the chosen person whole, when the faces fit', async () => {
    const analysis = await analyzeImage(fixture('group-of-three.jpg'), { aspects: ['1:1'], text: false });
    const faces = analysis.people.flatMap((p) => (p.face ? [p.face] : []));
    expect(faces).toHaveLength(3);
    // A canvas just wider than the three faces, far narrower than the three people.
    const canvas = `${faces.reduce(union).w + 10}x${analysis.height}`;
    const crop = storedCropHints(analysis, [canvas])[canvas]!;
    expect(crop.w).toBeLessThan(analysis.people.map((p) => p.box).reduce(union).w);
    for (const face of faces) expect(coverage(face, crop)).toBe(1);
  });

  it.each(['people-group.jpg', 'group-of-three.jpg'])('keeps every face of a group at 16:9 when they all fit (%s)', async (name) => {
    const analysis = await analyzeImage(fixture(name), { aspects: ['16:9'], text: false });
    const faces = analysis.people.flatMap((p) => (p.face ? [p.face] : []));
    expect(faces.length).toBeGreaterThanOrEqual(3);
    for (const face of faces) expect(coverage(face, analysis.crops['16:9']!)).toBe(1);
  });

  it('cuts no face in half: each is in the crop whole or left out', async () => {
    const { people, crops } = await analyzeImage(fixture('people-group.jpg'), { aspects: ['9:16', '2:3', '1:1', '4:5', '3:1'], text: false });
    const faces = people.flatMap((p) => (p.face ? [p.face] : []));
    expect(faces).toHaveLength(4);
    for (const crop of Object.values(crops)) for (const face of faces) expect([0, 1]).toContain(coverage(face, crop));
  });

  // faceapi__sample5/6: the best-scored face of a group was another of about the same size than the
  // largest, by 0.003-0.05 of score, and the crops that could not hold them all left the largest out.
  it('takes the largest face in focus as the subject of a group, whatever the interest score says', () => {
    const person = (score: number, face?: { w: number; h: number }): DetectedPerson => ({
      box: { x: 0, y: 0, w: 300, h: 600 },
      ...(face ? { face: { x: 0, y: 0, ...face } } : {}),
      shot: 'upper-body',
      score,
      strength: 0.8,
      sharpness: 10,
      crispness: 0.2,
    });
    const group = [person(0.9, { w: 140, h: 180 }), person(0.88, { w: 146, h: 187 }), person(0.8)];
    expect(nearestPerson(group)).toBe(group[1]);
    expect(nearestPerson([person(0.9), person(0.8)])?.score).toBe(0.9);
    expect(nearestPerson([])).toBeUndefined();
  });
});


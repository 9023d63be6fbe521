import { beforeAll, describe, expect, it } from 'vitest';
import { ArtmetaError } from '../../analysis/errors.ts';
import { type Box, coverage } from '../../analysis/geometry/box.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { liveScopedObjects } from '../../analysis/opencv/mat-scope.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { detectPeople } from '../../analysis/people/detect-people.ts';
import { findNetworkFaces } from '../../analysis/people/face-network.ts';
import { fixture } from '../support/fixtures.ts';


describe('detectPeople on real photos', () => {
  beforeAll(async () => {
    await loadOpenCV();
  });

  it('finds every face of a group, each inside its person box, sorted by score', async () => {
    const { pixels } = await decodeImage(fixture('people-group.jpg'));
    const people = detectPeople(pixels);
    expect(people).toHaveLength(4);
    for (const person of people) {
      expect(person.face).toBeDefined();
      expect(coverage(person.face!, person.box)).toBe(1);
      expect(person.box.h).toBeGreaterThan(person.face!.h * 2);
      expect(person.score).toBeGreaterThan(0);
      expect(person.score).toBeLessThanOrEqual(1);
      expect(person.strength).toBeGreaterThan(0.5);
      expect(person.strength).toBeLessThanOrEqual(1);
    }
    const scores = people.map((p) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // Four distinct heads side by side: no face counted twice.
    const centres = people.map((p) => p.face!.x + p.face!.w / 2).sort((a, b) => a - b);
    for (let i = 1; i < centres.length; i++) expect(centres[i]! - centres[i - 1]!).toBeGreaterThan(50);
    expect(liveScopedObjects()).toBe(0);
  });

  it('calls a face filling the frame a close-up and keeps the face inside the frame', async () => {
    const { pixels } = await decodeImage(fixture('people-close-up.jpg'));
    const people = detectPeople(pixels);
    expect(people).toHaveLength(1);
    const [person] = people;
    expect(person!.shot).toBe('close-up');
    const face = person!.face!;
    // The face sits in the middle of this crop (by eye: x 90-195, y 80-215).
    expect(face.x + face.w / 2).toBeGreaterThan(110);
    expect(face.x + face.w / 2).toBeLessThan(175);
    expect(face.y + face.h / 2).toBeGreaterThan(110);
    expect(face.y + face.h / 2).toBeLessThan(190);
    expect(person!.box.x + person!.box.w).toBeLessThanOrEqual(pixels.width);
    expect(person!.box.y + person!.box.h).toBeLessThanOrEqual(pixels.height);
  });

  it('calls people the frame shows head to foot full-body, and a group cut at the waist upper-body', async () => {
    const { pixels } = await decodeImage(fixture('people-upper-body.jpg'));
    // The man bent over the table is found only by the face network.
    const standing = detectPeople(pixels, {}, await findNetworkFaces(pixels));
    expect(standing.map((p) => p.shot)).toEqual(['full-body', 'full-body']);
    // The man in front: his box is drawn from his face down to his feet, which the frame cuts.
    const front = standing.find((p) => p.face!.x < 200)!;
    expect(front.box.y + front.box.h).toBeGreaterThanOrEqual(0.98 * 640);
    expect(coverage(front.face!, front.box)).toBe(1);
    const group = detectPeople((await decodeImage(fixture('people-group.jpg'))).pixels);
    expect(group.map((p) => p.shot)).toEqual(['upper-body', 'upper-body', 'upper-body', 'upper-body']);
  });

  it('follows a man in a plain black sweater down to the frame: upper body, not a close-up', async () => {
    const { pixels } = await decodeImage(fixture('people-beach.jpg'));
    const front = detectPeople(pixels, {}, await findNetworkFaces(pixels))[0]!;
    expect(front.face!.x).toBeGreaterThan(340);
    expect(front.shot).toBe('upper-body');
    expect(front.box.y + front.box.h).toBe(pixels.height);
  });

  it('finds nobody in a landscape', async () => {
    const { pixels } = await decodeImage(fixture('people-none.jpg'));
    expect(detectPeople(pixels)).toEqual([]);
    expect(liveScopedObjects()).toBe(0);
  });

  it('gives the same answer twice (no state kept between images)', async () => {
    const { pixels } = await decodeImage(fixture('people-close-up.jpg'));
    expect(detectPeople(pixels)).toEqual(detectPeople(pixels));
  });

  it('returns nobody for an image too small to hold a face', () => {
    const tiny = { data: new Uint8Array(12 * 9 * 3).fill(200), width: 12, height: 9, channels: 3 as const };
    expect(detectPeople(tiny)).toEqual([]);
  });

  it('rejects options that cannot work with INVALID_ARGUMENT', async () => {
    const { pixels } = await decodeImage(fixture('people-none.jpg'));
    expect(() => detectPeople(pixels, { faces: { scaleFactor: 1 } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => detectPeople(pixels, { faces: { frontalScanSize: 10 } })).toThrow(ArtmetaError);
  });

  it('finds the tilted head through the face network without turned scans', async () => {
    const { pixels } = await decodeImage(fixture('people-tilted.jpg'));
    const faces = detectPeople(pixels, {}, await findNetworkFaces(pixels)).flatMap((p) => (p.face ? [p.face] : []));
    expectTheTiltedHead(faces);
  });

  it('skips the profile pass when asked and still finds the frontal faces', async () => {
    const { pixels } = await decodeImage(fixture('people-group.jpg'));
    const people = detectPeople(pixels, { faces: { profileScanSize: 0 } });
    expect(people.filter((p) => p.face)).toHaveLength(4);
  });
});

/** people-tilted.jpg holds one face, by eye spanning x 85-180, y 60-170. */
function expectTheTiltedHead(faces: Box[]): void {
  expect(faces).toHaveLength(1);
  const { x, y, w, h } = faces[0]!;
  expect(Math.abs(x + w / 2 - 132)).toBeLessThan(20);
  expect(Math.abs(y + h / 2 - 115)).toBeLessThan(20);
}

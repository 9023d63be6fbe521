import { beforeAll, describe, expect, it } from 'vitest';
import { findFocalPoint } from '../../worker/analysis/focal-point.ts';
import { coverage } from '../../worker/geometry/box.ts';
import { decodeImage } from '../../worker/image/decode-image.ts';
import { loadOpenCV } from '../../worker/opencv/runtime.ts';
import { findNetworkFaces } from '../../worker/people/face-network.ts';
import { BLURRED_PEOPLE_PATCH as PATCH, fixture } from '../support/fixtures.ts';

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
    expect(findFocalPoint(pixels, { minSubjectDetail: 0 }, faces).method).toBe('people');
  });

  it('takes the in-focus people of a group photo as the subject', async () => {
    const { pixels } = await decodeImage(fixture('people-group.jpg'));
    const focal = findFocalPoint(pixels, {}, await findNetworkFaces(pixels));
    expect(focal.method).toBe('people');
    expect(focal.people.filter((p) => p.face)).toHaveLength(4);
    expect(coverage(focal.people[0]!.face!, focal.keep.at(-1)!)).toBe(1);
  });
});

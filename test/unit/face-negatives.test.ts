import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { detectPeople } from '../../analysis/people/detect-people.ts';
import { findNetworkFaces } from '../../analysis/people/face-network.ts';
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

import { describe, expect, it } from 'vitest';
import { analyzeImage } from '../../analysis/analyze-image.ts';
import { storedCropHints } from '../../analysis/crop/stored-crop-hints.ts';
import { fixture } from '../support/fixtures.ts';

describe('storedCropHints', () => {
  it.each(['group-of-three.jpg', 'people-close-up.jpg', 'dandelions.jpg'])(
    'gives %s the crops a fresh analysis gives for canvases it was not analysed for',
    async (name) => {
      const stored = await analyzeImage(fixture(name), { aspects: ['16:9'], text: false });
      const fresh = await analyzeImage(fixture(name), { aspects: ['16:9', '1:1', '9:16', '4:5', '300x500'], text: false });
      expect(storedCropHints(stored, ['16:9', '1:1', '9:16', '4:5', '300x500'])).toEqual(fresh.crops);
    },
  );
});

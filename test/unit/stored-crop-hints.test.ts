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

  it('falls back to people and region of interest for an analysis stored without a keep-list', async () => {
    const older = await analyzeImage(fixture('group-of-three.jpg'), { aspects: ['16:9'], text: false });
    delete older.keep;
    const crops = storedCropHints(older, ['9:16']);
    expect(crops['9:16']!.h).toBe(older.height);
  });
});

import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { detectText } from '../../analysis/text/detect-text.ts';
import { loadTextNetwork, releaseTextNetwork } from '../../analysis/text/text-detector-network.ts';
import { fixture } from '../support/fixtures.ts';

describe('the text network session', () => {
  it('is created once per thread, reused, and released on demand', async () => {
    await loadOpenCV();
    const first = await loadTextNetwork();
    expect(await loadTextNetwork()).toBe(first);
    const { pixels } = await decodeImage(fixture('text-title.jpg'), { workingSize: 320 });
    await detectText(pixels);
    expect(await loadTextNetwork()).toBe(first);
    await releaseTextNetwork();
    const second = await loadTextNetwork();
    expect(second).not.toBe(first);
    expect((await detectText(pixels)).regions.length).toBeGreaterThan(0);
  });
});

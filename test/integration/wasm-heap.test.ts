import { describe, expect, it } from 'vitest';
import { analyzeDecoded } from '../../analysis/analyze-image.ts';
import { parseCanvasList } from '../../analysis/crop/canvas-spec.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { liveScopedObjects } from '../../analysis/opencv/mat-scope.ts';
import { cv, loadOpenCV, wasmHeapBytes } from '../../analysis/opencv/runtime.ts';
import { findNetworkFaces } from '../../analysis/people/face-network.ts';
import { detectText } from '../../analysis/text/detect-text.ts';
import { fixture } from '../support/fixtures.ts';


describe('OpenCV WASM heap', () => {
  it('does not grow over hundreds of analyses', { timeout: 240_000 }, async () => {
    await loadOpenCV();
    const canvases = parseCanvasList('16:9,1:1,2:3,9:16');
    const images = await Promise.all(['group-of-three.jpg', 'dandelions.jpg', 'astronaut-upright.jpg'].map((f) => decodeImage(fixture(f), { workingSize: 320 })));
    const runAll = async (rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        for (const image of images) analyzeDecoded(image, canvases, {}, await findNetworkFaces(image.pixels), await detectText(image.pixels));
      }
    };
    await runAll(5); // warm-up: cascades and network loaded, allocator pools sized
    const before = wasmHeapBytes();
    await runAll(70); // 210 analyses
    expect(liveScopedObjects()).toBe(0);
    expect(wasmHeapBytes()).toBe(before);
  });

  it('keeps native memory (ONNX Runtime tensors and sessions) flat over hundreds of text detections', { timeout: 240_000 }, async () => {
    await loadOpenCV();
    const { pixels } = await decodeImage(fixture('text-title.jpg'), { workingSize: 320 });
    for (let i = 0; i < 20; i++) await detectText(pixels); // warm-up: session loaded, arenas sized
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 300; i++) await detectText(pixels);
    // The network input alone is ~0.7 MB a run: leaking it (or the output map) would add > 200 MB.
    expect(process.memoryUsage().rss - before).toBeLessThan(40 * 2 ** 20);
    expect(liveScopedObjects()).toBe(0);
  });

  it('would see a leak: Mats never freed make the heap grow (control)', async () => {
    await loadOpenCV();
    const before = wasmHeapBytes();
    const leaked = [];
    for (let i = 0; i < 300; i++) leaked.push(new (cv().Mat)(480, 640, cv().CV_8UC3)); // 300 × 0.9 MB
    expect(wasmHeapBytes()).toBeGreaterThan(before);
    for (const mat of leaked) mat.delete();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArtmetaError } from '../../analysis/errors.ts';
import { type Box, intersection } from '../../analysis/geometry/box.ts';
import type { Analysis } from '../../analysis/analysis-schema.ts';
import { placeBox, runOnExtent } from '../../analysis/text/placement.ts';
import { storedPlacement } from '../../analysis/text/stored-placement.ts';
import { type PlacementRequest, parsePlacementSpec } from '../../analysis/text/placement-spec.ts';

const image = { width: 1000, height: 600 };
const corners = parsePlacementSpec('20%x8%@corners');

describe('parsePlacementSpec', () => {
  it('reads pixels, percentages and fractions', () => {
    expect(parsePlacementSpec('300x80')).toMatchObject({ width: { px: 300 }, height: { px: 80 } });
    expect(parsePlacementSpec('20%x8%')).toMatchObject({ width: { fraction: 0.2 }, height: { fraction: 0.08 } });
    expect(parsePlacementSpec('0.2x0.08')).toMatchObject({ width: { fraction: 0.2 }, height: { fraction: 0.08 } });
  });

  it('reads anchors, groups and defaults', () => {
    expect(parsePlacementSpec('300x80').anchors).toEqual(['top-left', 'top-right', 'bottom-left', 'bottom-right', 'top-center', 'bottom-center']);
    expect(corners.anchors).toEqual(['top-left', 'top-right', 'bottom-left', 'bottom-right']);
    expect(parsePlacementSpec('50%x10%@subtitle').anchors).toEqual(['subtitle']);
    expect(parsePlacementSpec('300x80@bottom-right,top-centre,bottom-right').anchors).toEqual(['bottom-right', 'top-center']);
  });

  it.each(['', 'x80', '300x', '300x80@', '300x80@middle', '0x80', '120%x8%', '-5x8', '30.5x8', 'axb', '300by80'])(
    'rejects "%s" with INVALID_ARGUMENT',
    (spec) => {
      expect(() => parsePlacementSpec(spec)).toThrow(ArtmetaError);
      try {
        parsePlacementSpec(spec);
      } catch (e) {
        expect((e as ArtmetaError).code).toBe('INVALID_ARGUMENT');
      }
    },
  );

  it('names every anchor and group it accepts when an anchor is unknown', () => {
    expect(() => parsePlacementSpec('300x80@middle')).toThrow(/top-left, .*subtitle, corners, centers or all$/);
    expect(parsePlacementSpec('300x80@all').anchors).toHaveLength(7);
  });
});

describe('placeBox', () => {
  it('puts a badge in the preferred corner of an empty image, inside the margin', () => {
    const result = placeBox(image, corners, { text: [], faces: [] });
    expect(result).toMatchObject({ fits: true, anchor: 'top-left', box: { x: 18, y: 18, w: 200, h: 48 } });
    expect(result.score).toBeGreaterThan(0.9);
  });

  it('avoids a title in the top left and a face in the top right', () => {
    const title = { x: 20, y: 20, w: 400, h: 60 };
    const face = { x: 760, y: 30, w: 120, h: 140 };
    const result = placeBox(image, corners, { text: [title], faces: [face] });
    expect(result.fits).toBe(true);
    expect(result.anchor).toBe('bottom-left');
    expect(intersection(result.box!, title)).toBeUndefined();
    expect(intersection(result.box!, face)).toBeUndefined();
  });

  it('says clearly when nothing fits', () => {
    const everywhere = [
      { x: 0, y: 0, w: 1000, h: 100 },
      { x: 0, y: 500, w: 1000, h: 100 },
    ];
    const result = placeBox(image, corners, { text: everywhere, faces: [] });
    expect(result.fits).toBe(false);
    expect(result.box).toBeUndefined();
    expect(result.score).toBe(0);
    expect(result.reason).toMatch(/nothing fits.*detected text/);
  });

  it('keeps off the run-on of a line: a word the detector missed on its baseline', () => {
    // The title's left word was not proposed: the line found starts 120 px right of the corner badge.
    const found = { x: 338, y: 24, w: 500, h: 60, probability: 0.9 };
    expect(placeBox(image, corners, { text: [found], faces: [] }, { lineRunOn: 0 }).anchor).toBe('top-left');
    const result = placeBox(image, corners, { text: [found], faces: [] }, { lineRunOn: 2 });
    expect(result).toMatchObject({ fits: true, anchor: 'bottom-left' });
  });

  it('runs a line on along its long side only', () => {
    expect(runOnExtent({ x: 100, y: 50, w: 200, h: 20 }, 1.5)).toEqual({ x: 70, y: 50, w: 260, h: 20 });
    expect(runOnExtent({ x: 100, y: 50, w: 20, h: 200 }, 1.5)).toEqual({ x: 100, y: 20, w: 20, h: 260 });
  });

  it('takes the place with the least text evidence when none is clear of it, but never covers a reported line', () => {
    const weak = (x: number, y: number, probability: number) => ({ x, y, w: 60, h: 20, probability });
    // Unreported candidates in every corner: the faintest one's corner wins, at a lower score.
    const evidence = [weak(40, 30, 0.4), weak(900, 30, 0.3), weak(40, 550, 0.2), weak(900, 550, 0.05)];
    const result = placeBox(image, corners, { text: [], faces: [], evidence }, { lineRunOn: 0 });
    expect(result).toMatchObject({ fits: true, anchor: 'bottom-right' });
    expect(result.score).toBeLessThan(placeBox(image, corners, { text: [], faces: [] }).score);
    // Evidence is soft, a reported line is not: reported text in the three faint corners leaves the strongest.
    const reported = [weak(900, 30, 0.9), weak(40, 550, 0.9), weak(900, 550, 0.9)];
    expect(placeBox(image, corners, { text: reported, faces: [], evidence }, { lineRunOn: 0 }).anchor).toBe('top-left');
  });

  it('places from a stored analysis as from the detection: its unreported lines included, none stored before them', () => {
    const stored: Analysis = {
      ...image,
      focalPoint: { x: 500, y: 300 },
      roi: { x: 0, y: 0, w: 1000, h: 600 },
      method: 'edges',
      shot: 'none',
      people: [],
      crops: {},
      keep: [],
      text: { probability: 0.2, regions: [], evidence: [{ x: 40, y: 30, w: 120, h: 20, probability: 0.3 }] },
    };
    const fromDetection = placeBox(image, corners, { text: [], faces: [], evidence: stored.text!.evidence });
    expect(storedPlacement(stored, corners)).toEqual(fromDetection);
    expect(fromDetection.anchor).toBe('top-right');
    const storedBefore: Analysis = { ...stored, text: { probability: 0.2, regions: [] } };
    expect(storedPlacement(storedBefore, corners).anchor).toBe('top-left');
  });

  it('refuses a box larger than the image', () => {
    const result = placeBox(image, parsePlacementSpec('1200x80'), { text: [], faces: [] });
    expect(result).toMatchObject({ fits: false, score: 0 });
    expect(result.reason).toMatch(/larger than the 1000x600 image/);
  });

  it('slides a subtitle up the band above text at the very bottom', () => {
    const credits = { x: 100, y: 540, w: 800, h: 40 };
    const result = placeBox(image, parsePlacementSpec('60%x8%@subtitle'), { text: [credits], faces: [] });
    expect(result.fits).toBe(true);
    expect(result.anchor).toBe('subtitle');
    expect(result.box!.x).toBe(200);
    expect(result.box!.y + result.box!.h).toBeLessThan(credits.y);
    expect(result.box!.y).toBeGreaterThanOrEqual(0.6 * image.height);
  });

  it('never overlaps reported text or a face, whatever the evidence, and always stays inside the image (property)', () => {
    const box = fc.record({ x: fc.integer({ min: 0, max: 990 }), y: fc.integer({ min: 0, max: 590 }), w: fc.integer({ min: 1, max: 400 }), h: fc.integer({ min: 1, max: 200 }) });
    const request = fc.record({
      width: fc.oneof(fc.record({ px: fc.integer({ min: 1, max: 1100 }) }), fc.record({ fraction: fc.double({ min: 0.01, max: 1, noNaN: true }) })),
      height: fc.oneof(fc.record({ px: fc.integer({ min: 1, max: 700 }) }), fc.record({ fraction: fc.double({ min: 0.01, max: 1, noNaN: true }) })),
      anchors: fc.subarray(['top-left', 'top-center', 'top-right', 'bottom-left', 'bottom-center', 'bottom-right', 'subtitle'] as const, { minLength: 1 }),
    });
    const evidence = fc.array(fc.record({ box, probability: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 4 });
    fc.assert(
      fc.property(request, fc.array(box, { maxLength: 6 }), fc.array(box, { maxLength: 3 }), evidence, (req, text: Box[], faces: Box[], weak) => {
        const result = placeBox(image, req as PlacementRequest, { text, faces, evidence: weak.map((e) => ({ ...e.box, probability: e.probability })) });
        if (!result.fits) return result.box === undefined && typeof result.reason === 'string' && result.score === 0;
        const b = result.box!;
        const inside = b.x >= 0 && b.y >= 0 && b.x + b.w <= image.width && b.y + b.h <= image.height;
        const clear = [...text, ...faces].every((o) => !intersection(b, o));
        return inside && clear && result.score > 0 && result.score <= 1 && req.anchors.includes(result.anchor as never);
      }),
    );
  });
});

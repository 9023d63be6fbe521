import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cropFor, cropHints, largestOfAspect } from '../../analysis/crop/crop-hints.ts';
import { parseCanvasList, parseCanvasSpec } from '../../analysis/crop/canvas-spec.ts';
import { area, center, contains, coverage, union, type Box } from '../../analysis/geometry/box.ts';
import { ArtmetaError } from '../../analysis/errors.ts';

const imageArb = fc.record({ width: fc.integer({ min: 1, max: 6000 }), height: fc.integer({ min: 1, max: 6000 }) });
const aspectArb = fc.double({ min: 0.1, max: 10, noNaN: true });

/** A box inside a `width`×`height` image. */
function boxIn(width: number, height: number): fc.Arbitrary<Box> {
  return fc
    .record({ x: fc.nat(width - 1), y: fc.nat(height - 1), w: fc.integer({ min: 1, max: width }), h: fc.integer({ min: 1, max: height }) })
    .map((b) => ({ ...b, w: Math.min(b.w, width - b.x), h: Math.min(b.h, height - b.y) }));
}

describe('crop hints', () => {
  it('always lies inside the image, in whole pixels, with the asked shape', () => {
    fc.assert(
      fc.property(
        imageArb.chain((image) =>
          fc.tuple(fc.constant(image), aspectArb, fc.array(boxIn(image.width, image.height), { maxLength: 3 }), boxIn(image.width, image.height)),
        ),
        ([image, aspect, keep, focus]) => {
          const crop = cropFor(image, { keep, focalPoint: { x: focus.x, y: focus.y } }, aspect);
          expect(Number.isInteger(crop.x) && Number.isInteger(crop.y) && Number.isInteger(crop.w) && Number.isInteger(crop.h)).toBe(true);
          expect(crop.x).toBeGreaterThanOrEqual(0);
          expect(crop.y).toBeGreaterThanOrEqual(0);
          expect(crop.x + crop.w).toBeLessThanOrEqual(image.width);
          expect(crop.y + crop.h).toBeLessThanOrEqual(image.height);
          // Largest of that shape: it spans the image on one axis; rounding to pixels moves the ratio by < 1 px.
          expect(crop.w === image.width || crop.h === image.height).toBe(true);
          expect(Math.abs(crop.w - crop.h * aspect)).toBeLessThanOrEqual(Math.max(1, aspect) + 1e-9);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps the first subject box that fits whole, and is deterministic', () => {
    fc.assert(
      fc.property(
        imageArb.chain((image) => fc.tuple(fc.constant(image), aspectArb, fc.array(boxIn(image.width, image.height), { minLength: 1, maxLength: 3 }))),
        ([image, aspect, keep]) => {
          const focalPoint = { x: keep[0]!.x, y: keep[0]!.y };
          const crop = cropFor(image, { keep, focalPoint }, aspect);
          const size = largestOfAspect(image, aspect);
          const first = keep.find((b) => b.w <= size.width && b.h <= size.height);
          if (first) expect(coverage(first, crop)).toBe(1);
          expect(cropFor(image, { keep, focalPoint }, aspect)).toEqual(crop);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('centres on the focal point when nothing else constrains it', () => {
    const crop = cropFor({ width: 1920, height: 1080 }, { keep: [], focalPoint: { x: 1000, y: 500 } }, 1);
    expect(crop).toEqual({ x: 1000 - 540, y: 0, w: 1080, h: 1080 });
    // …but never past the edge.
    expect(cropFor({ width: 1920, height: 1080 }, { keep: [], focalPoint: { x: 1900, y: 500 } }, 1).x).toBe(840);
  });

  it('keeps a face with headroom and then as much of the body as fits', () => {
    // A standing person 900 px tall in a landscape frame; a 16:9 crop of a 16:9 image keeps all, a 1:1 crop of a
    // wide, short image cannot hold the body, so its top sits at the top of the person.
    const person = { x: 1000, y: 100, w: 300, h: 900 };
    const head = { x: 1080, y: 100, w: 140, h: 170 };
    const crop = cropFor({ width: 2000, height: 1100 }, { keep: [person, head], focalPoint: { x: 1150, y: 190 } }, 16 / 4);
    expect(coverage(head, crop)).toBe(1);
    expect(crop.y).toBe(100);
  });

  it('moves off a face it would cut: takes it in whole, or leaves it out when it cannot', () => {
    const image = { width: 2000, height: 1000 };
    const head = { x: 400, y: 100, w: 100, h: 150 };
    const subject = { keep: [head], focalPoint: { x: 450, y: 175 } };
    // Centred on the focal point the 1:1 crop starts at 0 and ends inside the second face.
    expect(cropFor(image, subject, 1).x).toBe(0);
    const reachable = { x: 950, y: 100, w: 100, h: 150 };
    expect(coverage(reachable, cropFor(image, { ...subject, whole: [reachable] }, 1))).toBe(1);
    // Here the head holds the crop's start to 0-600; centred on the focal point it would start at 500.
    const right = { keep: [{ x: 600, y: 100, w: 100, h: 150 }], focalPoint: { x: 1000, y: 175 } };
    const outOfReach = { x: 1450, y: 100, w: 200, h: 150 };
    const crop = cropFor(image, { ...right, whole: [outOfReach] }, 1);
    expect(coverage(outOfReach, crop)).toBe(0);
    expect(crop.x).toBe(450);
  });

  it('is unchanged by whole boxes it does not cut that lie outside what it keeps', () => {
    fc.assert(
      fc.property(
        imageArb.chain((image) =>
          fc.tuple(fc.constant(image), aspectArb, fc.array(boxIn(image.width, image.height), { minLength: 1, maxLength: 3 }), fc.array(boxIn(image.width, image.height), { maxLength: 4 })),
        ),
        ([image, aspect, keep, whole]) => {
          const subject = { keep, focalPoint: { x: keep[0]!.x, y: keep[0]!.y } };
          const crop = cropFor(image, subject, aspect);
          const outside = (b: Box): boolean => keep.every((k) => !contains(k, center(b)));
          const intact = whole.filter((b) => [0, 1].includes(coverage(b, crop)) && outside(b));
          expect(cropFor(image, { ...subject, whole: intact }, aspect)).toEqual(crop);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('holds as many of a group\'s faces whole as fit beside the chosen head, larger ones first', () => {
    // Three faces in a row, 1020 px together; a 1:1 crop of 700 px holds two of them whole.
    const image = { width: 2000, height: 700 };
    const left = { x: 300, y: 200, w: 120, h: 150 };
    const middle = { x: 700, y: 200, w: 120, h: 150 };
    const right = { x: 1180, y: 200, w: 140, h: 170 };
    const faces = [left, middle, right];
    const group = (chosen: Box) => ({ keep: [faces.reduce(union), chosen], focalPoint: { x: chosen.x + 60, y: 275 }, whole: faces });
    const held = (crop: Box) => faces.filter((f) => coverage(f, crop) === 1);
    // The chosen face at the end of the row: it and its neighbour, not it alone.
    expect(held(cropFor(image, group(left), 1))).toEqual([left, middle]);
    // The chosen face in the middle: of its two neighbours, the larger.
    expect(held(cropFor(image, group(middle), 1))).toEqual([middle, right]);
    // No face is cut either way.
    for (const chosen of faces) for (const face of faces) expect([0, 1]).toContain(coverage(face, cropFor(image, group(chosen), 1)));
  });

  it('holds, of a group that does not fit, as much face area whole as any placement that keeps the chosen face and cuts as few', () => {
    // Faces in a wide, low image: the crop spans its height, so only its start along x is free.
    const groupArb = fc.integer({ min: 400, max: 2000 }).chain((width) =>
      fc.tuple(
        fc.constant({ width, height: 200 }),
        fc.array(fc.record({ x: fc.nat(width - 60), w: fc.integer({ min: 20, max: 60 }) }), { minLength: 2, maxLength: 5 }),
        fc.nat(4),
        fc.double({ min: 0.5, max: 1.5, noNaN: true }),
      ),
    );
    fc.assert(
      fc.property(groupArb, ([image, spans, pick, aspect]) => {
        const faces = spans.map(({ x, w }) => ({ x, y: 50, w, h: w }));
        const chosen = faces[pick % faces.length]!;
        const crop = cropFor(image, { keep: [faces.reduce(union), chosen], focalPoint: { x: chosen.x, y: 75 }, whole: faces }, aspect);
        if (crop.w >= faces.reduce(union).w) return;
        const judge = (c: Box) => ({
          cuts: faces.filter((f) => coverage(f, c) > 0 && coverage(f, c) < 1).length,
          held: faces.reduce((sum, f) => sum + (coverage(f, c) === 1 ? area(f) : 0), 0),
        });
        const got = judge(crop);
        expect(coverage(chosen, crop)).toBe(1);
        for (let x = 0; x + crop.w <= image.width; x++) {
          const other = { ...crop, x };
          if (coverage(chosen, other) < 1) continue;
          const alt = judge(other);
          expect(alt.cuts > got.cuts || (alt.cuts === got.cuts && alt.held <= got.held)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('cuts a wanted box longer than the crop evenly from both ends', () => {
    // Heads in a row, 1300 px together, the chosen one left of their middle: a 1000-px crop loses
    // 150 px at each end rather than 225 at the right and 75 at the left, as centring on it would.
    const heads = { x: 200, y: 100, w: 1300, h: 200 };
    const chosen = { x: 700, y: 100, w: 150, h: 200 };
    const crop = cropFor({ width: 2000, height: 1000 }, { keep: [heads, chosen], focalPoint: { x: 775, y: 200 } }, 1);
    expect(crop.x).toBe(350);
    const inside = { x: 200, y: 100, w: 600, h: 200 };
    const centred = cropFor({ width: 2000, height: 1000 }, { keep: [{ x: 0, y: 0, w: 1100, h: 300 }, inside], focalPoint: { x: 250, y: 200 } }, 1);
    expect(centred.x).toBe(50);
  });

  it('gives one crop per canvas, keyed by the spec as asked', () => {
    const canvases = parseCanvasList('16:9, 1:1,1280x720,16:9');
    expect(canvases.map((c) => c.label)).toEqual(['16:9', '1:1', '1280x720']);
    const crops = cropHints({ width: 1000, height: 1000 }, { keep: [], focalPoint: { x: 500, y: 500 } }, canvases);
    expect(crops['1:1']).toEqual({ x: 0, y: 0, w: 1000, h: 1000 });
    expect(crops['1280x720']).toEqual(crops['16:9']);
  });

  it.each(['', '16', '16:0', '0:9', 'ax9', '16:9:1', '1:1000', '-1:2'])('rejects the canvas spec "%s"', (spec) => {
    expect(() => parseCanvasSpec(spec)).toThrow(ArtmetaError);
  });
});

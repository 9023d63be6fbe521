import type { PlacementResult } from '../analysis-schema.ts';
import { type Box, type Size, intersection } from '../geometry/box.ts';
import type { PlacementAnchor, PlacementLength, PlacementRequest } from './placement-spec.ts';

export interface PlacementOptions {
  /** Gap between a placed box and the image edge, as a fraction of the short side. Default 0.03. */
  margin?: number;
  /** Clear space kept around detected text, as a fraction of the short side. Default 0.01. */
  textPadding?: number;
  /** Clear space kept around a face, as a fraction of the face's long side. Default 0.15. */
  facePadding?: number;
  /** The subtitle band spans from this fraction of the height down to the bottom margin. Default 0.6. */
  subtitleBandTop?: number;
}

export const DEFAULT_PLACEMENT_OPTIONS: Required<PlacementOptions> = {
  margin: 0.03,
  textPadding: 0.01,
  facePadding: 0.15,
  subtitleBandTop: 0.6,
};

interface Candidate {
  box: Box;
  anchor: PlacementAnchor;
  /** 1 for the most preferred position, falling towards 0 for the least. */
  preference: number;
}

interface Obstacle {
  box: Box;
  kind: 'text' | 'face';
}

/**
 * Finds where a box of the requested size can go without covering text or a face: the allowed
 * anchor positions are tried, blocked ones dropped, and of the free ones the position farthest from
 * every obstacle wins (ties go to the anchor listed first). Pure geometry: boxes in, box out.
 */
export function placeBox(
  image: Size,
  request: PlacementRequest,
  obstacles: { text: Box[]; faces: Box[] },
  options: PlacementOptions = {},
): PlacementResult {
  const opts = { ...DEFAULT_PLACEMENT_OPTIONS, ...options };
  const shortSide = Math.min(image.width, image.height);
  const size = { width: resolve(request.width, image.width), height: resolve(request.height, image.height) };
  const margin = Math.round(opts.margin * shortSide);
  if (size.width + 2 * margin > image.width || size.height + 2 * margin > image.height) {
    return {
      fits: false,
      score: 0,
      reason: `a ${size.width}x${size.height} box with a ${margin} px margin is larger than the ${image.width}x${image.height} image`,
    };
  }
  if (request.anchors.length === 0) return { fits: false, score: 0, reason: 'no anchors allowed' };

  const blocking: Obstacle[] = [
    ...obstacles.text.map((b) => ({ box: pad(b, opts.textPadding * shortSide), kind: 'text' as const })),
    ...obstacles.faces.map((b) => ({ box: pad(b, opts.facePadding * Math.max(b.w, b.h)), kind: 'face' as const })),
  ];
  const candidates = anchorCandidates(image, size, margin, request.anchors, opts.subtitleBandTop);
  let best: { candidate: Candidate; score: number } | undefined;
  const blockedBy = { text: 0, face: 0 };
  for (const candidate of candidates) {
    const hit = blocking.find((o) => intersection(candidate.box, o.box));
    if (hit) {
      blockedBy[hit.kind]++;
      continue;
    }
    // Clearance counts up to a tenth of the short side; beyond that a position is simply free.
    const clearance = Math.min(1, nearestDistance(candidate.box, blocking) / (0.1 * shortSide));
    const score = 0.6 + 0.3 * clearance + 0.1 * candidate.preference;
    if (!best || score > best.score + 1e-9) best = { candidate, score };
  }
  if (!best) {
    return {
      fits: false,
      score: 0,
      reason:
        `nothing fits: all ${candidates.length} positions at ${request.anchors.join(', ')} overlap ` +
        `${describeBlockers(blockedBy)}`,
    };
  }
  return { fits: true, box: best.candidate.box, anchor: best.candidate.anchor, score: round3(best.score) };
}

function resolve(length: PlacementLength, extent: number): number {
  return 'px' in length ? Math.round(length.px) : Math.max(1, Math.round(length.fraction * extent));
}

/** Every position each anchor allows; the subtitle band slides upwards from the bottom margin. */
function anchorCandidates(image: Size, size: Size, margin: number, anchors: PlacementAnchor[], bandTop: number): Candidate[] {
  const left = margin;
  const right = image.width - margin - size.width;
  const centerX = Math.round((image.width - size.width) / 2);
  const top = margin;
  const bottom = image.height - margin - size.height;
  const place = (x: number, y: number): Box => ({ x, y, w: size.width, h: size.height });
  const out: Candidate[] = [];
  anchors.forEach((anchor, rank) => {
    const preference = anchors.length > 1 ? 1 - rank / (anchors.length - 1) : 1;
    switch (anchor) {
      case 'top-left':
        out.push({ box: place(left, top), anchor, preference });
        break;
      case 'top-center':
        out.push({ box: place(centerX, top), anchor, preference });
        break;
      case 'top-right':
        out.push({ box: place(right, top), anchor, preference });
        break;
      case 'bottom-left':
        out.push({ box: place(left, bottom), anchor, preference });
        break;
      case 'bottom-center':
        out.push({ box: place(centerX, bottom), anchor, preference });
        break;
      case 'bottom-right':
        out.push({ box: place(right, bottom), anchor, preference });
        break;
      case 'subtitle': {
        const highest = Math.min(bottom, Math.round(bandTop * image.height));
        const step = Math.max(1, Math.round(size.height / 4));
        for (let y = bottom, i = 0; y >= highest; y -= step, i++) {
          // Lower in the band reads as a subtitle; each step up costs a little preference.
          out.push({ box: place(centerX, y), anchor, preference: preference * (1 - (0.5 * (bottom - y)) / Math.max(1, bottom - highest)) });
        }
        break;
      }
    }
  });
  return out;
}

function pad(b: Box, by: number): Box {
  return { x: b.x - by, y: b.y - by, w: b.w + 2 * by, h: b.h + 2 * by };
}

/** Shortest gap between `box` and any obstacle (Infinity when there are none). */
function nearestDistance(box: Box, obstacles: Obstacle[]): number {
  let nearest = Infinity;
  for (const { box: o } of obstacles) {
    const dx = Math.max(0, o.x - (box.x + box.w), box.x - (o.x + o.w));
    const dy = Math.max(0, o.y - (box.y + box.h), box.y - (o.y + o.h));
    nearest = Math.min(nearest, Math.hypot(dx, dy));
  }
  return nearest;
}

function describeBlockers(blockedBy: { text: number; face: number }): string {
  if (blockedBy.text && blockedBy.face) return 'detected text or a face';
  return blockedBy.face ? 'a face' : 'detected text';
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

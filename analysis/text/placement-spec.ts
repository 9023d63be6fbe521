import { ArtmetaError } from '../errors.ts';

/** Where a placed box may go. Corners and centres sit at the margin from the image edges. */
const PLACEMENT_ANCHORS = [
  'top-left',
  'top-center',
  'top-right',
  'bottom-left',
  'bottom-center',
  'bottom-right',
  'subtitle',
] as const;

export type PlacementAnchor = (typeof PLACEMENT_ANCHORS)[number];

/** A length in pixels of the image, or as a fraction (0..1] of the image's width or height. */
export type PlacementLength = { px: number } | { fraction: number };

export interface PlacementRequest {
  width: PlacementLength;
  height: PlacementLength;
  /** Allowed anchors, most preferred first. */
  anchors: PlacementAnchor[];
}

/** Anchors used when a spec names none: every corner and both centres. */
const DEFAULT_ANCHORS: PlacementAnchor[] = ['top-left', 'top-right', 'bottom-left', 'bottom-right', 'top-center', 'bottom-center'];

const ANCHOR_GROUPS: Record<string, PlacementAnchor[]> = {
  corners: ['top-left', 'top-right', 'bottom-left', 'bottom-right'],
  centers: ['top-center', 'bottom-center'],
  centres: ['top-center', 'bottom-center'],
  all: [...DEFAULT_ANCHORS, 'subtitle'],
};

/**
 * Parses the CLI's `--place WxH[@anchors]`: `300x80`, `20%x8%`, `0.2x0.08@corners`,
 * `300x80@top-left,bottom-right`, `50%x10%@subtitle`. Lengths are pixels unless they end in `%` or
 * are a decimal in (0, 1).
 */
export function parsePlacementSpec(spec: string): PlacementRequest {
  const match = /^\s*([^x@\s]+)\s*x\s*([^@\s]+)\s*(?:@\s*(.+?))?\s*$/i.exec(spec);
  if (!match) throw invalid(spec, 'expected WxH[@anchors], e.g. 300x80 or 20%x8%@corners');
  const anchors = match[3] === undefined ? [...DEFAULT_ANCHORS] : parseAnchors(spec, match[3]);
  return { width: parseLength(spec, match[1]!), height: parseLength(spec, match[2]!), anchors };
}

function parseLength(spec: string, text: string): PlacementLength {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const fraction = Number(percent[1]) / 100;
    if (fraction <= 0 || fraction > 1) throw invalid(spec, `${text} must be in (0%, 100%]`);
    return { fraction };
  }
  if (!/^\d+(?:\.\d+)?$/.test(text)) throw invalid(spec, `${text} is not a length (pixels, percent or a fraction)`);
  const value = Number(text);
  if (value > 0 && value < 1) return { fraction: value };
  if (!Number.isInteger(value) || value < 1) throw invalid(spec, `${text} must be a whole number of pixels ≥ 1 or a fraction in (0, 1)`);
  return { px: value };
}

function parseAnchors(spec: string, text: string): PlacementAnchor[] {
  const anchors: PlacementAnchor[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim().toLowerCase().replace('centre', 'center');
    const group = ANCHOR_GROUPS[name] ?? (isAnchor(name) ? [name] : undefined);
    if (!group) throw invalid(spec, `unknown anchor "${raw.trim()}"; use ${PLACEMENT_ANCHORS.join(', ')}, corners, centers or all`);
    for (const anchor of group) if (!anchors.includes(anchor)) anchors.push(anchor);
  }
  return anchors;
}

function isAnchor(name: string): name is PlacementAnchor {
  return (PLACEMENT_ANCHORS as readonly string[]).includes(name);
}

function invalid(spec: string, why: string): ArtmetaError {
  return new ArtmetaError('INVALID_ARGUMENT', `bad placement "${spec}": ${why}`);
}

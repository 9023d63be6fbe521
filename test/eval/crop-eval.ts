/**
 * `npm run eval:crop -- ../shared/data`: how often each crop keeps the subject, for artmeta and its
 * peers, side by side in one run; plus face detection quality.
 *
 * Subject: on faces/, the largest truth face of each photo with faces; on focus/, the truth box.
 * A crop "hits" when at least 90% of the subject's area is inside it. The "best possible" row reads
 * the truth: the largest crop of each shape placed to hold as much of the subject as it can, so it is
 * the ceiling of any method's rate.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyzeImage } from '../../analysis/analyze-image.ts';
import { parseCanvasSpec } from '../../analysis/crop/canvas-spec.ts';
import { largestOfAspect } from '../../analysis/crop/crop-hints.ts';
import { area, coverage, type Box, type Size } from '../../analysis/geometry/box.ts';
import { centreCrop, sharpAttentionCrop, smartcropCrop, type CropPeer } from './crop-peers.ts';
import { evaluateFaces, formatFaceEval } from './face-eval.ts';
import { evaluateNegatives, formatNegatives } from './negatives-eval.ts';

export const RATIOS = ['16:9', '1:1', '2:3', '9:16'];
export const HIT_COVERAGE = 0.9;

export interface Case {
  set: 'faces' | 'focus';
  file: string;
  subject: Box;
  /** faces/ only: every required face, for the group table. */
  faces?: Box[];
}

type Method = (c: Case, image: Size, aspect: number) => Promise<Box>;

export async function loadCases(dataDir: string): Promise<Case[]> {
  const faces = JSON.parse(await readFile(join(dataDir, 'faces/truth.json'), 'utf8')) as Record<string, (Box & { ignore?: boolean })[]>;
  const focus = JSON.parse(await readFile(join(dataDir, 'focus/truth.json'), 'utf8')) as Record<string, Box>;
  const cases: Case[] = [];
  for (const [file, boxes] of Object.entries(faces)) {
    const required = boxes.filter((b) => !b.ignore).sort((a, b) => area(b) - area(a));
    if (required[0]) cases.push({ set: 'faces', file: join(dataDir, 'photos', file), subject: required[0], faces: required });
  }
  for (const [file, box] of Object.entries(focus)) cases.push({ set: 'focus', file: join(dataDir, 'focus', file), subject: box });
  return cases;
}

function peer(crop: CropPeer): Method {
  return (c, image, aspect) => crop(c.file, image, aspect);
}

async function main(): Promise<void> {
  const dataDir = process.argv[2] ?? '../shared/data';
  const cases = await loadCases(dataDir);
  const sizes = new Map<string, Size>();
  const artmetaCrops = new Map<string, Record<string, Box>>();
  const started = performance.now();
  for (const c of cases) {
    const analysis = await analyzeImage(c.file, { aspects: RATIOS, text: false });
    sizes.set(c.file, { width: analysis.width, height: analysis.height });
    artmetaCrops.set(c.file, analysis.crops);
  }
  const artmetaMs = (performance.now() - started) / cases.length;

  const methods: [string, Method][] = [
    ['artmeta', async (c, _image, aspect) => artmetaCrops.get(c.file)![RATIOS.find((r) => parseCanvasSpec(r).aspect === aspect)!]!],
    ['smartcrop-sharp', peer(smartcropCrop)],
    ['sharp attention', peer(sharpAttentionCrop)],
    ['centre crop', peer(centreCrop)],
    ['best possible', async (c, image, aspect) => bestPossible(c.subject, image, aspect)],
  ];

  console.log(`crop hit rate (≥ ${HIT_COVERAGE * 100}% of the subject inside the crop); ${cases.filter((c) => c.set === 'faces').length} faces/, ${cases.filter((c) => c.set === 'focus').length} focus/ images`);
  const header = ['method', ...(['faces', 'focus'] as const).flatMap((set) => RATIOS.map((r) => `${set} ${r}`)), 'overall'];
  console.log(header.map((h, i) => (i === 0 ? h.padEnd(16) : h.padStart(11))).join(''));
  for (const [name, method] of methods) {
    const hits: Record<string, number[]> = {};
    for (const c of cases) {
      for (const ratio of RATIOS) {
        const crop = await method(c, sizes.get(c.file)!, parseCanvasSpec(ratio).aspect);
        (hits[`${c.set} ${ratio}`] ??= []).push(coverage(c.subject, crop) >= HIT_COVERAGE ? 1 : 0);
      }
    }
    const all = Object.values(hits).flat();
    const cells = header.slice(1, -1).map((key) => (hits[key] ? mean(hits[key]) : NaN));
    console.log([name.padEnd(16), ...[...cells, mean(all)].map((v) => (Number.isNaN(v) ? '-' : v.toFixed(3)).padStart(11))].join(''));
  }
  await printGroups(cases.filter((c) => (c.faces?.length ?? 0) > 1), methods, sizes);
  console.log(`artmeta analyze without text: ${artmetaMs.toFixed(0)} ms per image (mean, one thread, includes decode)`);
  console.log('');
  if (cases.some((c) => c.set === 'faces')) console.log(formatFaceEval(await evaluateFaces(dataDir)));
  console.log('');
  console.log(formatNegatives(await evaluateNegatives()));
}

/**
 * Photos with several required faces: per canvas, the faces each method's crop holds (≥ HIT_COVERAGE
 * inside) over the most any crop of that shape can hold, and the faces it cuts (inside by more than
 * 1 - HIT_COVERAGE but less than HIT_COVERAGE). It measures what the group rule is for — as many
 * faces as fit, none cut — independently of which face the hit rate above takes as the subject.
 */
async function printGroups(cases: Case[], methods: [string, Method][], sizes: Map<string, Size>): Promise<void> {
  if (cases.length === 0) return;
  const most = new Map<string, number>();
  for (const c of cases) for (const ratio of RATIOS) most.set(`${c.file} ${ratio}`, mostHeld(c.faces!, sizes.get(c.file)!, parseCanvasSpec(ratio).aspect));
  const total = (ratio: string): number => cases.reduce((s, c) => s + most.get(`${c.file} ${ratio}`)!, 0);
  console.log(`groups: ${cases.length} faces/ photos with 2+ required faces; faces held whole / most a crop of the shape can hold (faces cut)`);
  console.log(['method'.padEnd(16), ...RATIOS.map((r) => r.padStart(16))].join(''));
  for (const [name, method] of methods.filter(([n]) => n !== 'best possible')) {
    const cells: string[] = [];
    for (const ratio of RATIOS) {
      let held = 0;
      let cut = 0;
      for (const c of cases) {
        const crop = await method(c, sizes.get(c.file)!, parseCanvasSpec(ratio).aspect);
        for (const face of c.faces!) {
          const inside = coverage(face, crop);
          if (inside >= HIT_COVERAGE) held++;
          else if (inside > 1 - HIT_COVERAGE) cut++;
        }
      }
      cells.push(`${held}/${total(ratio)} (${cut})`.padStart(16));
    }
    console.log([name.padEnd(16), ...cells].join(''));
  }
}

/** The most of these faces one crop of this shape can hold (each ≥ HIT_COVERAGE inside), over every placement. */
function mostHeld(faces: readonly Box[], image: Size, aspect: number): number {
  const size = largestOfAspect(image, aspect);
  let best = 0;
  for (let y = 0; y <= image.height - size.height; y++) {
    for (let x = 0; x <= image.width - size.width; x++) {
      const crop = { x, y, w: size.width, h: size.height };
      best = Math.max(best, faces.filter((f) => coverage(f, crop) >= HIT_COVERAGE).length);
    }
  }
  return best;
}

/** The largest crop of this shape placed to hold as much of the subject as it can. */
function bestPossible(subject: Box, image: Size, aspect: number): Box {
  const size = largestOfAspect(image, aspect);
  const place = (start: number, length: number, cropLength: number, total: number): number =>
    Math.max(0, Math.min(total - cropLength, cropLength >= length ? start + length - cropLength : start));
  return { x: place(subject.x, subject.w, size.width, image.width), y: place(subject.y, subject.h, size.height, image.height), w: size.width, h: size.height };
}

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

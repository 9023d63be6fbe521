/**
 * Badge placement against truth text, for the placement's soft evidence: how far a line may run on
 * past the ends the detector found (`lineRunOn`, in line heights), and whether candidate lines the
 * verifier did not report count against a place too (from which calibrated probability up). The
 * badge is eval:text's (20% × 8%, four corners), and since on synthetic images that one placement is
 * almost always right, also every other corner order (each corner the preferred one) and two other
 * sizes (12% × 5%, 30% × 12%): twelve placements per image. A placement counts when some corner is
 * free of truth text for it, and is right when it is clear of every truth box.
 *
 * The policy is chosen on the synth:text folders (those with an images/ folder) pooled: the most
 * placements clear of truth text, ties to the least conservative policy (shortest run-on, then
 * highest floor). The other folders (laid out as the validation set's text folders, truth.json
 * beside the images) are looked at with that policy, never fitted on. `--cache DIR` keeps each
 * folder's scored candidate lines for the next run.
 *
 * `--corner-look`: what a closer look at the corners would add (not part of the analysis): each
 * corner's quarter-width, eighth-height region seen by the network again at twice the working scale,
 * its DB boxes added as evidence (weighed by their DB score) to the chosen policy's.
 *
 *   npm run measure:text-placement -- <synth folder>... <folder>... [--cache DIR] [--corner-look]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Box, intersection, scaleBox } from '../analysis/geometry/box.ts';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { textDetectionFromLines } from '../analysis/text/detect-text.ts';
import { lineEvidence } from '../analysis/text/line-evidence.ts';
import { lineVerifierModel, verifyLine } from '../analysis/text/line-verifier.ts';
import { placeBox, type TextEvidence } from '../analysis/text/placement.ts';
import type { PlacementAnchor, PlacementRequest } from '../analysis/text/placement-spec.ts';
import { ARTMETA_CANDIDATE_OPTIONS, linesOfMap, networkMap } from '../analysis/text/text-line-candidates.ts';
import { dbBoxes } from '../analysis/text/db-postprocess.ts';
import type { RgbImage } from '../analysis/image/rgb-image.ts';
import { BADGE_REQUEST, type TruthLine } from '../test/eval/text-eval.ts';
import { takeSwitch, takeValue } from './script-arguments.ts';

const RUN_ONS = [0, 0.5, 1, 1.5, 2, 2.5, 3, 4];
/** Calibrated probability from which an unreported candidate counts as evidence (Infinity: none does). */
const FLOORS = [Infinity, 0.4, 0.3, 0.2, 0.1, 0.05, 0];

const CORNERS: PlacementAnchor[] = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];
/** The twelve placements: three badge sizes, each corner first in turn (the others after it in order). */
const TRIALS: PlacementRequest[] = [
  [0.2, 0.08],
  [0.12, 0.05],
  [0.3, 0.12],
].flatMap(([w, h]) => CORNERS.map((_, i) => ({ width: { fraction: w! }, height: { fraction: h! }, anchors: [...CORNERS.slice(i), ...CORNERS.slice(0, i)] })));

interface Sample {
  file: string;
  size: { width: number; height: number };
  /** Decoded (working copy) size and its scale to stored px. */
  decoded: { width: number; height: number };
  scale: number;
  truth: TruthLine[];
  /** Candidate lines in decoded px with the verifier's raw probability. */
  lines: Array<Box & { probability: number }>;
  /** With --corner-look: the DB boxes of the closer corner looks, stored px, DB score as probability. */
  corners?: TextEvidence[];
}

/** A corner look's region: the eval badge (20% × 8%) with its 3% margin and a little room. */
const CORNER_LOOK = { width: 0.25, height: 0.12 };
/** How much larger than the working scale a corner look sees its region. */
const CORNER_LOOK_ZOOM = 2;

async function cornerLook(image: RgbImage): Promise<TextEvidence[]> {
  const width = Math.max(1, Math.round(CORNER_LOOK.width * image.width));
  const height = Math.max(1, Math.round(CORNER_LOOK.height * image.height));
  const working = ARTMETA_CANDIDATE_OPTIONS.limitSide / Math.max(image.width, image.height);
  const side = Math.max(32, Math.round(Math.max(width, height) * working * CORNER_LOOK_ZOOM));
  const out: TextEvidence[] = [];
  for (const [x0, y0] of [[0, 0], [image.width - width, 0], [0, image.height - height], [image.width - width, image.height - height]] as const) {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) data.set(image.data.subarray(3 * ((y0 + y) * image.width + x0), 3 * ((y0 + y) * image.width + x0 + width)), 3 * y * width);
    const map = await networkMap({ data, width, height, channels: 3 }, { limitSide: side, minLongSide: side, precision: ARTMETA_CANDIDATE_OPTIONS.precision });
    for (const b of dbBoxes(map, ARTMETA_CANDIDATE_OPTIONS.db)) out.push({ x: b.x + x0, y: b.y + y0, w: b.w, h: b.h, probability: b.score });
  }
  return out;
}

const args = process.argv.slice(2);
const cacheDir = takeValue(args, '--cache');
const withCornerLook = takeSwitch(args, '--corner-look');
const folders = args;
const isSynth = (folder: string) => existsSync(join(folder, 'images'));
if (!folders.some(isSynth)) throw new Error('usage: measure:text-placement -- <synth folder>... <folder>... [--cache DIR]');

function folderImages(folder: string): Array<{ file: string; path: string; truth: TruthLine[] }> {
  const truth = JSON.parse(readFileSync(join(folder, 'truth.json'), 'utf8')) as Record<string, TruthLine[]>;
  const dir = existsSync(join(folder, 'images')) ? join(folder, 'images') : folder;
  return Object.keys(truth)
    .sort()
    .map((file) => ({ file, path: join(dir, file), truth: truth[file]! }));
}

async function measure(folder: string): Promise<Sample[]> {
  const cached = cacheDir ? join(cacheDir, `placement-${folder.replace(/[^A-Za-z0-9]+/g, '_')}${withCornerLook ? '-corners' : ''}.json`) : undefined;
  if (cached && existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as Sample[];
  const model = lineVerifierModel();
  const samples: Sample[] = [];
  for (const { file, path, truth } of folderImages(folder)) {
    const decoded = await decodeImage(path);
    const image = decoded.pixels;
    const map = await networkMap(image, ARTMETA_CANDIDATE_OPTIONS);
    const lines = linesOfMap(image, map, ARTMETA_CANDIDATE_OPTIONS).map((l) => ({ x: l.x, y: l.y, w: l.w, h: l.h, probability: verifyLine(model, lineEvidence(image, map, l)) }));
    const corners = withCornerLook ? (await cornerLook(image)).map((b) => ({ ...scaleBox(b, decoded.scale), probability: b.probability })) : undefined;
    samples.push({ file, size: { width: decoded.width, height: decoded.height }, decoded: { width: image.width, height: image.height }, scale: decoded.scale, truth, lines, ...(corners ? { corners } : {}) });
  }
  if (cached) {
    mkdirSync(cacheDir!, { recursive: true });
    writeFileSync(cached, JSON.stringify(samples));
  }
  return samples;
}

interface Tally {
  freeCorner: number;
  clear: number;
  onText: string[];
  notPlaced: string[];
}

function score(samples: Sample[], runOn: number, floor: number, requests: PlacementRequest[], corners = false): Tally {
  const model = lineVerifierModel();
  const tally: Tally = { freeCorner: 0, clear: 0, onText: [], notPlaced: [] };
  for (const s of samples) {
    const found = textDetectionFromLines(s.lines, s.decoded, model);
    const evidence: TextEvidence[] = found.evidence.filter((e) => e.probability >= floor);
    const text = found.regions.map((r) => ({ ...scaleBox(r, s.scale), probability: r.probability }));
    const scaled = [...evidence.map((e) => ({ ...scaleBox(e, s.scale), probability: e.probability })), ...(corners ? (s.corners ?? []) : [])];
    for (const request of requests) {
      if (!placeBox(s.size, request, { text: s.truth, faces: [] }, { textPadding: 0 }).fits) continue;
      tally.freeCorner++;
      const placed = placeBox(s.size, request, { text, faces: [], evidence: scaled }, { lineRunOn: runOn });
      if (!placed.fits || !placed.box) tally.notPlaced.push(s.file);
      else if (s.truth.some((t) => intersection(placed.box!, t))) tally.onText.push(s.file);
      else tally.clear++;
    }
  }
  return tally;
}

function pct(t: Tally): string {
  return `${t.clear}/${t.freeCorner} = ${((100 * t.clear) / Math.max(1, t.freeCorner)).toFixed(1)}%`;
}

function grid(samples: Sample[]): Tally[][] {
  return RUN_ONS.map((runOn) => FLOORS.map((floor) => score(samples, runOn, floor, TRIALS)));
}

function printGrid(cells: Tally[][]): void {
  process.stdout.write(`  run-on \\ floor  ${FLOORS.map((f) => (Number.isFinite(f) ? `>= ${f}` : 'none').padStart(20)).join('')}\n`);
  RUN_ONS.forEach((runOn, i) => process.stdout.write(`  ${String(runOn).padEnd(15)}${cells[i]!.map((t) => pct(t).padStart(20)).join('')}\n`));
}

await loadOpenCV();
const measured = new Map<string, Sample[]>();
for (const folder of folders) measured.set(folder, await measure(folder));
// Fit: the synth folders pooled.
const pooled = grid(folders.filter(isSynth).flatMap((f) => measured.get(f)!));
let chosen = { runOn: RUN_ONS[0]!, floor: FLOORS[0]!, clear: -1 };
RUN_ONS.forEach((runOn, i) =>
  FLOORS.forEach((floor, j) => {
    if (pooled[i]![j]!.clear > chosen.clear) chosen = { runOn, floor, clear: pooled[i]![j]!.clear };
  }),
);
process.stdout.write(`synth folders pooled (${folders.filter(isSynth).join(', ')}): twelve placements per image; policy fitted here\n`);
printGrid(pooled);
process.stdout.write(`  chosen: run-on ${chosen.runOn}, floor ${chosen.floor}\n`);
for (const folder of folders) {
  const samples = measured.get(folder)!;
  process.stdout.write(`${folder}: ${samples.length} images${isSynth(folder) ? ' (synth, in the fit)' : ' (looked at, not fitted on)'}\n`);
  printGrid(grid(samples));
  for (const [name, requests] of [['twelve placements', TRIALS], ["eval:text's badge", [BADGE_REQUEST]]] as const) {
    const baseline = score(samples, 0, Infinity, [...requests]);
    const t = score(samples, chosen.runOn, chosen.floor, [...requests]);
    process.stdout.write(
      `  ${name}: reported lines only ${pct(baseline)}${baseline.onText.length ? ` (on text: ${[...new Set(baseline.onText)].join(', ')})` : ''}; ` +
        `chosen ${pct(t)}${t.onText.length ? ` (on text: ${[...new Set(t.onText)].join(', ')})` : ''}${t.notPlaced.length ? `; nothing fits ${t.notPlaced.length}` : ''}\n`,
    );
    if (!withCornerLook) continue;
    const looked = score(samples, chosen.runOn, chosen.floor, [...requests], true);
    process.stdout.write(`    with the corner looks: ${pct(looked)}${looked.onText.length ? ` (on text: ${[...new Set(looked.onText)].join(', ')})` : ''}\n`);
  }
}

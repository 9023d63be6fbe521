/**
 * Badge placement against truth text, for the placement's soft evidence: how far a line may run on
 * past the ends the detector found (`lineRunOn`, in line heights), and whether candidate lines the
 * verifier did not report count against a place too (from which calibrated probability up). The
 * badge is eval:text's (20% × 8%, four corners), and since on synthetic images that one placement is
 * almost always right, also every other corner order (each corner the preferred one) and two other
 * sizes (12% × 5%, 30% × 12%): twelve placements per image. A placement counts when some corner is
 * free of truth text for it, and is right when it is clear of every truth box.
 *
 * The policy is chosen on the FIRST folder (a synth:text folder: the best share placed clear, ties to
 * the least conservative policy: shortest run-on, then highest floor) and then applied as is to the
 * other folders, which are looked at, never fitted on. Folders: a synth:text folder (images/ and
 * truth.json) or a folder laid out as the validation set's text folders (truth.json beside the
 * images). `--cache DIR` keeps each folder's scored candidate lines for the next run.
 *
 *   npm run measure:text-placement -- <fit synth folder> <folder>... [--cache DIR]
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
import { BADGE_REQUEST, type TruthLine } from '../test/eval/text-eval.ts';

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
}

const args = process.argv.slice(2);
const cacheAt = args.indexOf('--cache');
const cacheDir = cacheAt >= 0 ? args.splice(cacheAt, 2)[1] : undefined;
const folders = args;
if (folders.length === 0) throw new Error('usage: measure:text-placement -- <fit synth folder> <folder>... [--cache DIR]');

function folderImages(folder: string): Array<{ file: string; path: string; truth: TruthLine[] }> {
  const truth = JSON.parse(readFileSync(join(folder, 'truth.json'), 'utf8')) as Record<string, TruthLine[]>;
  const dir = existsSync(join(folder, 'images')) ? join(folder, 'images') : folder;
  return Object.keys(truth)
    .sort()
    .map((file) => ({ file, path: join(dir, file), truth: truth[file]! }));
}

async function measure(folder: string): Promise<Sample[]> {
  const cached = cacheDir ? join(cacheDir, `placement-${folder.replace(/[^A-Za-z0-9]+/g, '_')}.json`) : undefined;
  if (cached && existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as Sample[];
  const model = lineVerifierModel();
  const samples: Sample[] = [];
  for (const { file, path, truth } of folderImages(folder)) {
    const decoded = await decodeImage(path);
    const image = decoded.pixels;
    const map = await networkMap(image, ARTMETA_CANDIDATE_OPTIONS);
    const lines = linesOfMap(image, map, ARTMETA_CANDIDATE_OPTIONS).map((l) => ({ x: l.x, y: l.y, w: l.w, h: l.h, probability: verifyLine(model, lineEvidence(image, map, l)) }));
    samples.push({ file, size: { width: decoded.width, height: decoded.height }, decoded: { width: image.width, height: image.height }, scale: decoded.scale, truth, lines });
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

function score(samples: Sample[], runOn: number, floor: number, requests: PlacementRequest[]): Tally {
  const model = lineVerifierModel();
  const tally: Tally = { freeCorner: 0, clear: 0, onText: [], notPlaced: [] };
  for (const s of samples) {
    const found = textDetectionFromLines(s.lines, s.decoded, model);
    const evidence: TextEvidence[] = found.evidence.filter((e) => e.probability >= floor);
    const text = found.regions.map((r) => ({ ...scaleBox(r, s.scale), probability: r.probability }));
    const scaled = evidence.map((e) => ({ ...scaleBox(e, s.scale), probability: e.probability }));
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

await loadOpenCV();
let chosen: { runOn: number; floor: number } | undefined;
for (const folder of folders) {
  const samples = await measure(folder);
  process.stdout.write(`${folder}: ${samples.length} images${chosen ? '' : ' (policy fitted here)'}\n`);
  process.stdout.write(`  run-on \\ floor  ${FLOORS.map((f) => (Number.isFinite(f) ? `>= ${f}` : 'none').padStart(18)).join('')}\n`);
  let best: { runOn: number; floor: number; clear: number } | undefined;
  for (const runOn of RUN_ONS) {
    const cells: string[] = [];
    for (const floor of FLOORS) {
      const t = score(samples, runOn, floor, TRIALS);
      cells.push(pct(t).padStart(18));
      if (!best || t.clear > best.clear) best = { runOn, floor, clear: t.clear };
    }
    process.stdout.write(`  ${String(runOn).padEnd(15)}${cells.join('')}\n`);
  }
  chosen ??= best;
  for (const [name, requests] of [['twelve placements', TRIALS], ["eval:text's badge", [BADGE_REQUEST]]] as const) {
    const baseline = score(samples, 0, Infinity, [...requests]);
    const t = score(samples, chosen!.runOn, chosen!.floor, [...requests]);
    process.stdout.write(
      `  ${name}: reported lines only ${pct(baseline)}${baseline.onText.length ? ` (on text: ${[...new Set(baseline.onText)].join(', ')})` : ''}; ` +
        `chosen (run-on ${chosen!.runOn}, floor ${chosen!.floor}) ${pct(t)}` +
        `${t.onText.length ? ` (on text: ${[...new Set(t.onText)].join(', ')})` : ''}${t.notPlaced.length ? `; nothing fits ${t.notPlaced.length}` : ''}\n`,
    );
  }
}

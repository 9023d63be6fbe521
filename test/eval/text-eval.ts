/**
 * Text detection on <data>/text/ and <data>/text-hard/, each reported apart: ICDAR-style precision /
 * recall / Hmean of line boxes (IoU ≥ 0.5, one-to-one greedy matching, ignore boxes are don't-care),
 * image-level has-text accuracy, lines found per role and per script, and the median time per image,
 * for artmeta's detectText, PaddleOCR det alone (the same network at PaddleOCR's own input size and
 * post-processing, the same line joining, no verifier) and tesseract.js; the badge placement check;
 * then the text-free photos of <data>/photos/ (has_text = n).
 * `npm run eval:text -- ../shared/data [--verbose] [--no-tesseract]`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { type Box, intersection, iou, scaleBox } from '../../analysis/geometry/box.ts';
import { matchBoxes, type MatchCounts } from './box-matching.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { liveScopedObjects } from '../../analysis/opencv/mat-scope.ts';
import { loadOpenCV, wasmHeapBytes } from '../../analysis/opencv/runtime.ts';
import { detectText } from '../../analysis/text/detect-text.ts';
import { placeBox, type TextEvidence } from '../../analysis/text/placement.ts';
import type { PlacementRequest } from '../../analysis/text/placement-spec.ts';
import { PADDLE_CANDIDATE_OPTIONS, textLineCandidates } from '../../analysis/text/text-line-candidates.ts';

export const TEXT_MATCH_IOU = 0.5;

export interface TruthLine extends Box {
  text: string;
  role: string;
  ignore?: boolean;
}

export type TextTruth = Record<string, TruthLine[]>;

export type LineCounts = MatchCounts;

export function readTextTruth(dataDir: string, folder: string): Promise<TextTruth> {
  return readFile(join(dataDir, folder, 'truth.json'), 'utf8').then((s) => JSON.parse(s) as TextTruth);
}

/**
 * Scores one image's predicted line boxes (stored pixels): greedy one-to-one matching by IoU, best
 * first, at IoU ≥ 0.5 to required lines; an unmatched prediction overlapping an ignore box (IoU ≥ 0.5
 * or mostly inside it) is neither a true nor a false positive.
 */
export function scoreTextLines(predicted: Box[], truth: TruthLine[]): LineCounts {
  return matchBoxes(predicted, truth, TEXT_MATCH_IOU);
}

export interface DetectorRow {
  name: string;
  counts: LineCounts;
  precision: number;
  recall: number;
  hmean: number;
  hasTextAccuracy: number;
  medianMs: number;
}

/** One detector's totals: line counts, correct has-text calls, times. */
export class DetectorTally {
  readonly counts: LineCounts = { tp: 0, fp: 0, fn: 0 };
  private correctCalls = 0;
  private images = 0;
  private readonly times: number[] = [];

  constructor(readonly name: string) {}

  add(predicted: Box[], saysText: boolean, truth: TruthLine[], ms: number): LineCounts {
    const c = scoreTextLines(predicted, truth);
    this.counts.tp += c.tp;
    this.counts.fp += c.fp;
    this.counts.fn += c.fn;
    const hasText = truth.some((t) => !t.ignore);
    if (saysText === hasText) this.correctCalls++;
    this.images++;
    this.times.push(ms);
    return c;
  }

  row(): DetectorRow {
    const { tp, fp, fn } = this.counts;
    const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
    const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
    const hmean = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return {
      name: this.name,
      counts: { ...this.counts },
      precision,
      recall,
      hmean,
      hasTextAccuracy: this.images ? this.correctCalls / this.images : 0,
      medianMs: median(this.times),
    };
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? 0 : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

export function formatRows(rows: DetectorRow[]): string {
  const lines = ['detector                                       P      R      Hmean  TP  FP  FN  has-text acc  median ms/image'];
  for (const r of rows) {
    lines.push(
      `${r.name.padEnd(45)}  ${r.precision.toFixed(3)}  ${r.recall.toFixed(3)}  ${r.hmean.toFixed(3)}  ` +
        `${String(r.counts.tp).padStart(3)} ${String(r.counts.fp).padStart(3)} ${String(r.counts.fn).padStart(3)}  ` +
        `${r.hasTextAccuracy.toFixed(3).padStart(12)}  ${r.medianMs.toFixed(1).padStart(15)}`,
    );
  }
  return lines.join('\n');
}

interface TesseractWorker {
  recognize(image: Buffer, options?: object, output?: object): Promise<{ data: TesseractPage }>;
  setParameters(params: Record<string, string>): Promise<unknown>;
  terminate(): Promise<unknown>;
}
interface TesseractBbox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
interface TesseractPage {
  blocks: Array<{ paragraphs: Array<{ lines: Array<{ bbox: TesseractBbox; confidence: number; text: string }> }> }> | null;
}

/** tesseract.js with the locally installed English data; nothing is downloaded. */
async function startTesseract(cachePath: string): Promise<TesseractWorker> {
  const require = createRequire(import.meta.url);
  const langPath = join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0');
  const { createWorker, PSM } = (await import('tesseract.js')) as unknown as {
    createWorker: (lang: string, oem: number, options: object) => Promise<TesseractWorker>;
    PSM: Record<string, string>;
  };
  const worker = await createWorker('eng', 1, { langPath, gzip: true, cachePath, cacheMethod: 'none' });
  // debug_file: Tesseract's progress chatter ("Estimating resolution…") would bury the table.
  await worker.setParameters({ tessedit_pageseg_mode: PSM.SPARSE_TEXT ?? '11', debug_file: '/dev/null' });
  return worker;
}

async function tesseractLines(worker: TesseractWorker, file: string): Promise<Box[]> {
  const { data } = await worker.recognize(await readFile(file), {}, { blocks: true, text: false });
  const boxes: Box[] = [];
  for (const block of data.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        if (line.confidence < 60 || !line.text.trim()) continue;
        boxes.push({ x: line.bbox.x0, y: line.bbox.y0, w: line.bbox.x1 - line.bbox.x0, h: line.bbox.y1 - line.bbox.y0 });
      }
    }
  }
  return boxes;
}

/** The badge the issue checks: 20% × 8% of the image, any of the four corners. */
export const BADGE_REQUEST: PlacementRequest = {
  width: { fraction: 0.2 },
  height: { fraction: 0.08 },
  anchors: ['top-left', 'top-right', 'bottom-left', 'bottom-right'],
};

export interface PlacementCheck {
  images: number;
  withFreeCorner: number;
  placedClear: number;
  placedOnText: string[];
  notPlaced: string[];
}

/**
 * Whether a badge placed around the detected text (and the unreported candidate lines, when the
 * detector gives them) overlaps a truth line. Only images where some corner is free of truth text
 * count (elsewhere no answer could be right).
 */
function checkPlacement(check: PlacementCheck, file: string, size: { width: number; height: number }, detected: Box[], evidence: TextEvidence[], truth: TruthLine[]): void {
  check.images++;
  // A corner is free when the badge there touches no truth box at all (no safety padding).
  if (!placeBox(size, BADGE_REQUEST, { text: truth, faces: [] }, { textPadding: 0 }).fits) return;
  check.withFreeCorner++;
  const placed = placeBox(size, BADGE_REQUEST, { text: detected, faces: [], evidence });
  if (!placed.fits || !placed.box) check.notPlaced.push(file);
  else if (truth.some((t) => intersection(placed.box!, t))) check.placedOnText.push(file);
  else check.placedClear++;
}

/** The script of a line, from the language its image's provenance names (scene text: "scene"). */
const SCRIPT_OF_LANGUAGE: Record<string, string> = {
  ar: 'Arabic', he: 'Hebrew', hi: 'Devanagari', ja: 'Japanese', ko: 'Hangul', th: 'Thai', zh: 'Han', ru: 'Cyrillic', uk: 'Cyrillic', el: 'Greek',
};

export function scriptOf(provenance: string | undefined): string {
  if (!provenance) return 'unknown';
  if (provenance.startsWith('real photo')) return 'scene (Latin)';
  const language = /; ([a-z]{2}) /.exec(provenance)?.[1];
  return language ? (SCRIPT_OF_LANGUAGE[language] ?? 'Latin') : 'none';
}

/** Required truth lines found (some prediction at IoU ≥ 0.5), per key. */
class FoundTally {
  readonly found = new Map<string, [number, number]>();
  add(key: string, hit: boolean): void {
    const entry = this.found.get(key) ?? [0, 0];
    entry[1]++;
    if (hit) entry[0]++;
    this.found.set(key, entry);
  }
  format(): string {
    return [...this.found.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, [hit, all]]) => `${k} ${hit}/${all}`)
      .join(', ');
  }
}

interface Detector {
  tally: DetectorTally;
  roles: FoundTally;
  scripts: FoundTally;
  placement: PlacementCheck;
  /** The same badge placed around the reported lines alone (for a detector that gives evidence: the rule before it). */
  placementRegionsOnly: PlacementCheck;
  givesEvidence: boolean;
}

function detector(name: string): Detector {
  return {
    tally: new DetectorTally(name),
    roles: new FoundTally(),
    scripts: new FoundTally(),
    placement: { images: 0, withFreeCorner: 0, placedClear: 0, placedOnText: [], notPlaced: [] },
    placementRegionsOnly: { images: 0, withFreeCorner: 0, placedClear: 0, placedOnText: [], notPlaced: [] },
    givesEvidence: false,
  };
}

/** `evidence`: the detector's unreported candidate lines, which its badge placement also keeps clear of. */
function record(
  d: Detector,
  file: string,
  size: { width: number; height: number },
  predicted: Box[],
  saysText: boolean,
  truth: TruthLine[],
  script: string,
  ms: number,
  evidence: TextEvidence[] = [],
): LineCounts {
  const c = d.tally.add(predicted, saysText, truth, ms);
  for (const t of truth.filter((l) => !l.ignore)) {
    const hit = predicted.some((p) => iou(p, t) >= TEXT_MATCH_IOU);
    d.roles.add(t.role, hit);
    d.scripts.add(script, hit);
  }
  checkPlacement(d.placement, file, size, predicted, evidence, truth);
  if (d.givesEvidence) checkPlacement(d.placementRegionsOnly, file, size, predicted, [], truth);
  return c;
}

export interface FolderReport {
  folder: string;
  images: number;
  required: number;
  detectors: Detector[];
}

async function evaluateFolder(dataDir: string, folder: string, worker: TesseractWorker | undefined, verbose: boolean): Promise<FolderReport> {
  const truth = await readTextTruth(dataDir, folder);
  const provenance = JSON.parse(await readFile(join(dataDir, folder, 'provenance.json'), 'utf8')) as Record<string, string>;
  const files = Object.keys(truth).sort();
  const artmeta = { ...detector('artmeta detectText'), givesEvidence: true };
  const paddle = detector('PaddleOCR det alone (960, DB 0.3/0.6, lines)');
  const tesseract = detector('tesseract.js (psm 11, line conf >= 60)');
  for (const file of files) {
    const path = join(dataDir, folder, file);
    const lines = truth[file] ?? [];
    const script = scriptOf(provenance[file]);
    const decoded = await decodeImage(path);
    const size = { width: decoded.width, height: decoded.height };

    let start = performance.now();
    const found = await detectText(decoded.pixels);
    const ours = found.regions.map((r) => scaleBox(r, decoded.scale));
    const evidence = found.evidence.map((e) => ({ ...scaleBox(e, decoded.scale), probability: e.probability }));
    const c = record(artmeta, file, size, ours, found.probability >= 0.5, lines, script, performance.now() - start, evidence);
    if (verbose && (c.fp || c.fn)) process.stdout.write(`${folder}/${file}  artmeta tp ${c.tp} fp ${c.fp} fn ${c.fn}  p=${found.probability}\n`);

    start = performance.now();
    const peer = (await textLineCandidates(decoded.pixels, PADDLE_CANDIDATE_OPTIONS)).lines.map((l) => scaleBox(l, decoded.scale));
    record(paddle, file, size, peer, peer.length > 0, lines, script, performance.now() - start);

    if (!worker) continue;
    start = performance.now();
    const tess = await tesseractLines(worker, path);
    record(tesseract, file, size, tess, tess.length > 0, lines, script, performance.now() - start);
  }
  return {
    folder,
    images: files.length,
    required: Object.values(truth).flat().filter((t) => !t.ignore).length,
    detectors: worker ? [artmeta, paddle, tesseract] : [artmeta, paddle],
  };
}

export interface NegativePhotos {
  photos: number;
  /** Photos where artmeta reports no region (every region is ≥ 0.5 by construction). */
  artmetaClear: number;
  /** Photos where PaddleOCR det alone finds nothing. */
  paddleClear: number;
  withRegions: string[];
}

/** The text-free photos (manifest has_text = n): how often nothing is reported. */
async function evaluateNegativePhotos(dataDir: string): Promise<NegativePhotos> {
  const manifest = (await readFile(join(dataDir, 'photos', 'manifest.tsv'), 'utf8')).trim().split('\n');
  const columns = manifest[0]!.split('\t');
  const files = manifest
    .slice(1)
    .map((row) => row.split('\t'))
    .filter((cells) => cells[columns.indexOf('has_text')] === 'n')
    .map((cells) => cells[columns.indexOf('file')]!);
  const out: NegativePhotos = { photos: files.length, artmetaClear: 0, paddleClear: 0, withRegions: [] };
  for (const file of files) {
    const decoded = await decodeImage(join(dataDir, 'photos', file));
    const found = await detectText(decoded.pixels);
    if (found.regions.length === 0) out.artmetaClear++;
    else out.withRegions.push(file);
    if ((await textLineCandidates(decoded.pixels, PADDLE_CANDIDATE_OPTIONS)).lines.length === 0) out.paddleClear++;
  }
  return out;
}

function formatPlacement(p: PlacementCheck): string {
  return (
    `${p.withFreeCorner} of ${p.images} images have a corner free of truth text; placed clear of truth text in ` +
    `${p.placedClear}/${p.withFreeCorner} = ${((100 * p.placedClear) / Math.max(1, p.withFreeCorner)).toFixed(1)}%` +
    (p.placedOnText.length ? `; on text: ${p.placedOnText.join(', ')}` : '') +
    (p.notPlaced.length ? `; nothing fits: ${p.notPlaced.join(', ')}` : '')
  );
}

function formatFolder(r: FolderReport): string {
  const out = [`${r.folder}/: ${r.images} images, ${r.required} required line boxes, IoU >= ${TEXT_MATCH_IOU}, one-to-one`, formatRows(r.detectors.map((d) => d.tally.row()))];
  for (const d of r.detectors) {
    out.push(`  ${d.tally.name}: found per role: ${d.roles.format()}`);
    out.push(`  ${d.tally.name}: found per script: ${d.scripts.format()}`);
    out.push(`  ${d.tally.name}: placement (badge 20% x 8%, four corners): ${formatPlacement(d.placement)}`);
    if (d.givesEvidence) out.push(`  ${d.tally.name}: placement around reported lines only (no evidence): ${formatPlacement(d.placementRegionsOnly)}`);
  }
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dataDir = process.argv[2] ?? '../shared/data';
  const verbose = process.argv.includes('--verbose');
  await loadOpenCV();
  const cachePath = await mkdtemp(join(tmpdir(), 'artmeta-tesseract-'));
  // --no-tesseract: a quick run; the reported figures come from a full run.
  const worker = process.argv.includes('--no-tesseract') ? undefined : await startTesseract(cachePath);
  try {
    let firstHeap = 0;
    for (const folder of ['text', 'text-hard']) {
      const report = await evaluateFolder(dataDir, folder, worker, verbose);
      firstHeap ||= wasmHeapBytes();
      process.stdout.write(`${formatFolder(report)}\n\n`);
    }
    const negatives = await evaluateNegativePhotos(dataDir);
    process.stdout.write(
      `photos/ without text (has_text = n): ${negatives.photos} photos; artmeta reports no region (none >= 0.5) on ` +
        `${negatives.artmetaClear} = ${((100 * negatives.artmetaClear) / Math.max(1, negatives.photos)).toFixed(1)}% (target >= 95%)` +
        (negatives.withRegions.length ? ` [regions on ${negatives.withRegions.join(', ')}]` : '') +
        `; PaddleOCR det alone finds nothing on ${negatives.paddleClear} = ${((100 * negatives.paddleClear) / Math.max(1, negatives.photos)).toFixed(1)}%\n` +
        `OpenCV WASM heap: ${mb(firstHeap)} after text/, ${mb(wasmHeapBytes())} at the end; live OpenCV objects at the end: ${liveScopedObjects()}\n`,
    );
  } finally {
    await worker?.terminate();
    await rm(cachePath, { recursive: true, force: true });
  }
}

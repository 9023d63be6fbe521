/**
 * Text detection on <data>/text/: ICDAR-style precision / recall / Hmean of line boxes (IoU ≥ 0.5,
 * one-to-one greedy matching, ignore boxes are don't-care), image-level has-text accuracy and the
 * median time per image, for artmeta's detectText, tesseract.js and a plain morphological-gradient
 * baseline; then the badge placement check.
 * `npm run eval:text -- ../shared/data [--verbose] [--no-tesseract]`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { type Box, intersection, scaleBox } from '../../analysis/geometry/box.ts';
import { matchBoxes, type MatchCounts } from './box-matching.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import type { RgbImage } from '../../analysis/image/rgb-image.ts';
import { liveScopedObjects, withMats } from '../../analysis/opencv/mat-scope.ts';
import { cv, loadOpenCV, wasmHeapBytes } from '../../analysis/opencv/runtime.ts';
import { detectText } from '../../analysis/text/detect-text.ts';
import { TEXT_LINE_MODEL_URL } from '../../analysis/text/text-classifier.ts';
import { placeBox } from '../../analysis/text/placement.ts';
import type { PlacementRequest } from '../../analysis/text/placement-spec.ts';
import { rgbMat } from '../../analysis/opencv/rgb-mat.ts';

export const TEXT_MATCH_IOU = 0.5;

export interface TruthLine extends Box {
  text: string;
  role: string;
  ignore?: boolean;
}

export type TextTruth = Record<string, TruthLine[]>;

export type LineCounts = MatchCounts;

export function readTextTruth(dataDir: string): Promise<TextTruth> {
  return readFile(join(dataDir, 'text', 'truth.json'), 'utf8').then((s) => JSON.parse(s) as TextTruth);
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

/**
 * The reference baseline: morphological gradient, Otsu, a wide closing to join letters into
 * lines, and line-shaped blobs as boxes (no classifier). Working pixels in, working boxes out.
 */
export function gradientBaseline(image: RgbImage): Box[] {
  return withMats((scope) => {
    const c = cv();
    const rgb = rgbMat(scope, image);
    const gray = scope.track(new c.Mat());
    c.cvtColor(rgb, gray, c.COLOR_RGB2GRAY);
    const gradient = scope.track(new c.Mat());
    c.morphologyEx(gray, gradient, c.MORPH_GRADIENT, scope.track(c.getStructuringElement(c.MORPH_ELLIPSE, new c.Size(3, 3))));
    const binary = scope.track(new c.Mat());
    c.threshold(gradient, binary, 0, 255, c.THRESH_BINARY + c.THRESH_OTSU);
    const closed = scope.track(new c.Mat());
    c.morphologyEx(binary, closed, c.MORPH_CLOSE, scope.track(c.getStructuringElement(c.MORPH_RECT, new c.Size(9, 1))));
    const contours = scope.track(new c.MatVector());
    const hierarchy = scope.track(new c.Mat());
    c.findContours(closed, contours, hierarchy, c.RETR_EXTERNAL, c.CHAIN_APPROX_SIMPLE);
    const boxes: Box[] = [];
    for (let i = 0; i < contours.size(); i++) {
      const contour = contours.get(i);
      const r = c.boundingRect(contour);
      const area = c.contourArea(contour);
      contour.delete();
      if (r.height < 8 || r.width < 2 * r.height || r.height > image.height / 4) continue;
      if (area / (r.width * r.height) < 0.45) continue;
      boxes.push({ x: r.x, y: r.y, w: r.width, h: r.height });
    }
    return boxes;
  });
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
 * Whether a badge placed around the detected text overlaps a truth line. Only images where some
 * corner is free of truth text count (elsewhere no answer could be right).
 */
function checkPlacement(check: PlacementCheck, file: string, size: { width: number; height: number }, detected: Box[], truth: TruthLine[]): void {
  check.images++;
  // A corner is free when the badge there touches no truth box at all (no safety padding).
  if (!placeBox(size, BADGE_REQUEST, { text: truth, faces: [] }, { textPadding: 0 }).fits) return;
  check.withFreeCorner++;
  const placed = placeBox(size, BADGE_REQUEST, { text: detected, faces: [] });
  if (!placed.fits || !placed.box) check.notPlaced.push(file);
  else if (truth.some((t) => intersection(placed.box!, t))) check.placedOnText.push(file);
  else check.placedClear++;
}

export interface TextEvalReport {
  rows: DetectorRow[];
  placement: PlacementCheck;
  images: number;
  required: number;
  /** WASM heap after the first image and after the last, and OpenCV objects still alive at the end. */
  heap: { first: number; last: number; liveObjects: number };
}

export async function evaluateText(dataDir: string, verbose: boolean, withTesseract = true): Promise<TextEvalReport> {
  await loadOpenCV();
  const truth = await readTextTruth(dataDir);
  const files = Object.keys(truth).sort();
  const artmeta = new DetectorTally('artmeta detectText');
  const tesseract = new DetectorTally('tesseract.js (psm 11, line conf >= 60)');
  const baseline = new DetectorTally('morph gradient + Otsu + closing');
  const placement: PlacementCheck = { images: 0, withFreeCorner: 0, placedClear: 0, placedOnText: [], notPlaced: [] };
  const cachePath = await mkdtemp(join(tmpdir(), 'artmeta-tesseract-'));
  const worker = withTesseract ? await startTesseract(cachePath) : undefined;
  let firstHeap = 0;
  try {
    for (const file of files) {
      const path = join(dataDir, 'text', file);
      const lines = truth[file] ?? [];
      const decoded = await decodeImage(path);
      const size = { width: decoded.width, height: decoded.height };

      let start = performance.now();
      const found = detectText(decoded.pixels);
      firstHeap ||= wasmHeapBytes();
      const ours = found.regions.map((r) => scaleBox(r, decoded.scale));
      const c = artmeta.add(ours, found.probability >= 0.5, lines, performance.now() - start);
      if (verbose && (c.fp || c.fn)) process.stdout.write(`${file}  artmeta tp ${c.tp} fp ${c.fp} fn ${c.fn}  p=${found.probability}\n`);
      checkPlacement(placement, file, size, ours, lines);

      start = performance.now();
      const plain = gradientBaseline(decoded.pixels).map((b) => scaleBox(b, decoded.scale));
      baseline.add(plain, plain.length > 0, lines, performance.now() - start);

      if (!worker) continue;
      start = performance.now();
      const tess = await tesseractLines(worker, path);
      tesseract.add(tess, tess.length > 0, lines, performance.now() - start);
    }
  } finally {
    await worker?.terminate();
    await rm(cachePath, { recursive: true, force: true });
  }
  return {
    rows: worker ? [artmeta.row(), tesseract.row(), baseline.row()] : [artmeta.row(), baseline.row()],
    placement,
    images: files.length,
    required: Object.values(truth).flat().filter((t) => !t.ignore).length,
    heap: { first: firstHeap, last: wasmHeapBytes(), liveObjects: liveScopedObjects() },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dataDir = process.argv[2] ?? '../shared/data';
  const verbose = process.argv.includes('--verbose');
  // --no-tesseract: a quick run while tuning; the reported figures come from a full run.
  const report = await evaluateText(dataDir, verbose, !process.argv.includes('--no-tesseract'));
  const p = report.placement;
  const cv = (JSON.parse(await readFile(TEXT_LINE_MODEL_URL, 'utf8')) as { crossValidation?: Record<string, number> }).crossValidation;
  process.stdout.write(
    `Text detection: ${report.images} images, ${report.required} required line boxes, IoU >= ${TEXT_MATCH_IOU}, one-to-one\n` +
      formatRows(report.rows) +
      '\n' +
      // The classifier was trained on these very images: its held-out figures are the honest ones.
      (cv
        ? `artmeta's classifier is trained on this set; ${cv.folds}-fold cross-validation by image (models/text-line-classifier.json): ` +
          `P ${cv.precision} R ${cv.recall} Hmean ${cv.hmean} has-text acc ${cv.hasTextAccuracy}\n`
        : '') +
      `Placement (badge 20% x 8%, four corners): ${p.withFreeCorner} of ${p.images} images have a corner free of truth text; ` +
      `placed clear of truth text in ${p.placedClear}/${p.withFreeCorner} = ${((100 * p.placedClear) / Math.max(1, p.withFreeCorner)).toFixed(1)}%` +
      (p.placedOnText.length ? `; on text: ${p.placedOnText.join(', ')}` : '') +
      (p.notPlaced.length ? `; nothing fits: ${p.notPlaced.join(', ')}` : '') +
      '\n' +
      `OpenCV WASM heap: ${mb(report.heap.first)} after the first image, ${mb(report.heap.last)} after the last; ` +
      `live OpenCV objects at the end: ${report.heap.liveObjects}\n`,
  );
}

/**
 * Face detection accuracy on <data>/faces/truth.json + <data>/photos/: precision, recall and F1 at
 * IoU ≥ 0.4 with one-to-one greedy matching, plus the median time per image. Importable (the crop
 * eval prints it) and runnable alone: `npx tsx test/eval/face-eval.ts ../shared/data`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { type Box, scaleBox } from '../../analysis/geometry/box.ts';
import { matchBoxes, type MatchCounts, type TruthBox } from './box-matching.ts';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import type { RgbImage } from '../../analysis/image/rgb-image.ts';
import { withMats } from '../../analysis/opencv/mat-scope.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { scanCascade } from '../../analysis/people/cascade-scan.ts';
import { toGrayMat } from '../../analysis/opencv/gray-mat.ts';
import { grayScanImage } from '../../analysis/people/gray-scan-image.ts';
import { detectPeople } from '../../analysis/people/detect-people.ts';
import { findNetworkFaces } from '../../analysis/people/face-network.ts';

const FACE_MATCH_IOU = 0.4;
/** Faces (and predictions) whose long side is under this many stored pixels are not scored. */
const MIN_SCORED_FACE = 20;

type TruthFace = TruthBox;
export type FaceCounts = MatchCounts;

export interface FaceEvalRow extends FaceCounts {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  medianMs: number;
}

export interface FaceEvalReport {
  images: number;
  requiredFaces: number;
  rows: FaceEvalRow[];
  /**
   * Median over images of detectPeople's time divided by the baseline's on the same image: the
   * machine may be shared, and the ratio of two runs side by side survives that better than ms.
   */
  relativeTime: number;
}

/** A face detector under test: working image in, face boxes in working pixels out. */
type FacePredictor = (image: RgbImage) => Box[] | Promise<Box[]>;

/**
 * Scores one image. Predictions are matched greedily, best IoU first, one-to-one, to required faces;
 * an unmatched prediction overlapping an ignore box (IoU ≥ 0.4 or mostly inside it) is neither a
 * true nor a false positive.
 */
export function scoreFaces(predicted: Box[], truth: TruthFace[]): FaceCounts {
  return matchBoxes(predicted.filter((p) => Math.max(p.w, p.h) >= MIN_SCORED_FACE), truth, FACE_MATCH_IOU);
}

/** The reference row: the default frontal cascade alone at 640 px, scale 1.1, minNeighbors 5. */
function frontalCascadeAlone(image: RgbImage): Box[] {
  return withMats((scope) => {
    const scan = grayScanImage(scope, toGrayMat(scope, image), 640);
    return scanCascade(scope, 'frontalFace', scan.mat, { scaleFactor: 1.1, minNeighbors: 5, minSize: 24 }, scan.scale).map(
      (hit) => hit.box,
    );
  });
}

async function detectPeopleFaces(image: RgbImage): Promise<Box[]> {
  return detectPeople(image, {}, await findNetworkFaces(image)).flatMap((person) => (person.face ? [person.face] : []));
}

function detectPeopleCascadeFaces(image: RgbImage): Box[] {
  return detectPeople(image).flatMap((person) => (person.face ? [person.face] : []));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? 0 : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function row(name: string, counts: FaceCounts, times: number[]): FaceEvalRow {
  const precision = counts.tp + counts.fp > 0 ? counts.tp / (counts.tp + counts.fp) : 0;
  const recall = counts.tp + counts.fn > 0 ? counts.tp / (counts.tp + counts.fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { name, ...counts, precision, recall, f1, medianMs: median(times) };
}

export interface FaceEvalOptions {
  /** Called per image with its counts for each predictor (for debugging a regression). */
  onImage?: (file: string, name: string, counts: FaceCounts, predicted: Box[]) => void;
}

/** Runs detectPeople and the frontal-alone baseline over every photo with face truth. */
export async function evaluateFaces(dataDir: string, options: FaceEvalOptions = {}): Promise<FaceEvalReport> {
  await loadOpenCV();
  const truth = JSON.parse(await readFile(join(dataDir, 'faces', 'truth.json'), 'utf8')) as Record<string, TruthFace[]>;
  const predictors: [string, FacePredictor][] = [
    ['detectPeople faces', detectPeopleFaces],
    ['detectPeople faces, cascades only', detectPeopleCascadeFaces],
    ['frontal cascade alone (640 px, 1.1, 5)', frontalCascadeAlone],
  ];
  const totals = predictors.map(() => ({ tp: 0, fp: 0, fn: 0 }));
  const times = predictors.map((): number[] => []);
  const files = Object.keys(truth).sort();
  for (const file of files) {
    const decoded = await decodeImage(join(dataDir, 'photos', file), { workingSize: 1024 });
    for (const [i, [name, predict]] of predictors.entries()) {
      const start = performance.now();
      const boxes = await predict(decoded.pixels);
      times[i]!.push(performance.now() - start);
      const stored = boxes.map((b) => scaleBox(b, decoded.scale));
      const counts = scoreFaces(stored, truth[file] ?? []);
      totals[i]!.tp += counts.tp;
      totals[i]!.fp += counts.fp;
      totals[i]!.fn += counts.fn;
      options.onImage?.(file, name, counts, stored);
    }
  }
  return {
    images: files.length,
    requiredFaces: Object.values(truth).flat().filter((t) => !t.ignore).length,
    rows: predictors.map(([name], i) => row(name, totals[i]!, times[i]!)),
    relativeTime: median(times[0]!.map((t, i) => t / Math.max(1e-3, times.at(-1)![i]!))),
  };
}

export function formatFaceEval(report: FaceEvalReport): string {
  const lines = [
    `Face detection: ${report.images} images, ${report.requiredFaces} required faces, IoU >= ${FACE_MATCH_IOU}`,
    'detector                                  P      R      F1     TP  FP  FN  median ms/image',
  ];
  for (const r of report.rows) {
    lines.push(
      `${r.name.padEnd(40)}  ${r.precision.toFixed(3)}  ${r.recall.toFixed(3)}  ${r.f1.toFixed(3)}  ` +
        `${String(r.tp).padStart(3)} ${String(r.fp).padStart(3)} ${String(r.fn).padStart(3)}  ${r.medianMs.toFixed(1)}`,
    );
  }
  const ours = report.rows[0];
  const baseline = report.rows.at(-1);
  if (ours && baseline) {
    lines.push(`${ours.name} takes ${report.relativeTime.toFixed(2)}x the time of the ${baseline.name} (median of per-image ratios)`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dataDir = process.argv[2] ?? '../shared/data';
  const verbose = process.argv.includes('--verbose');
  const report = await evaluateFaces(dataDir, {
    onImage: verbose
      ? (file, name, c) => {
          if (c.fp || c.fn) process.stdout.write(`${file}  [${name}]  tp ${c.tp} fp ${c.fp} fn ${c.fn}\n`);
        }
      : undefined,
  });
  process.stdout.write(formatFaceEval(report) + '\n');
}

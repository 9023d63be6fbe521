/**
 * `npm run fit:text [-- <synth dir>... [--look N] [--out FILE] [--evidence-cache FILE]]`: fits the text line verifier (models/text-line-verifier.json)
 * on `npm run synth:text` output — never on the validation set. Candidate lines come
 * from artmeta's candidate stage; a line matching a truth line (IoU ≥ 0.5) is text, one touching no
 * truth line is not, fragments and merges are left out of the fit. Logistic regression on
 * standardised evidence, fitted on four images in five; the operating point is the threshold with the
 * best line Hmean on the fifth (held out) among those that leave 95% of the text-free images without
 * a line, which also gives the figures written into the model; the image threshold (noisy-OR of the
 * lines) is the one with the best has-text accuracy over all the images under the same condition.
 *
 * `--look N` measures the candidates at a network input of N px (long side; smaller images enlarged
 * to it) instead of artmeta's, and `--out FILE` writes the model there instead of the committed
 * verifier: a verifier for a larger look is fitted and compared without touching the committed one.
 * `--evidence-cache FILE` keeps the measured lines there (read if the file exists and was measured on
 * the same folders, written otherwise), so refits of the model alone skip the network; delete the
 * file when the generator, the network, the candidate stage or the evidence changes.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Box, intersectionArea, iou, scaleBox } from '../analysis/geometry/box.ts';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { anyLineIsText } from '../analysis/text/detect-text.ts';
import { LINE_EVIDENCE_NAMES, lineEvidence } from '../analysis/text/line-evidence.ts';
import { type LineVerifierModel, TEXT_LINE_VERIFIER_URL, verifyLine } from '../analysis/text/line-verifier.ts';
import { ARTMETA_CANDIDATE_OPTIONS, type CandidateOptions, textLineCandidates } from '../analysis/text/text-line-candidates.ts';
import { matchBoxes } from '../test/eval/box-matching.ts';
import { lineOperatingPoint } from './verifier-operating-point.ts';
import { takeValue } from './script-arguments.ts';

/** L2 penalty and steps of the logistic fit: enough to converge on a few thousand lines. */
const L2 = 1e-3;
const STEPS = 3000;
const LEARNING_RATE = 0.5;
/** Every fifth image is held out for the operating point and the reported figures. */
const HOLD_OUT_EVERY = 5;
/**
 * Share of the text-free images that must report no line at the operating point: the issue's own
 * target for text-free photos (95%), asked of every text-free synthetic image (the held-out fifth
 * has only ~30, one image = 3 points). Without it the best held-out Hmean sat at 0.13 (synth:text
 * with 25% text-free images), where 7% of the text-free synthetic images, and 9% of the validation
 * set's text-free photos, showed a line.
 */
const MIN_TEXT_FREE_CLEAR = 0.95;

interface Sample {
  file: string;
  image: { width: number; height: number };
  truth: Box[];
  lines: Array<Box & { score: number; evidence: number[] }>;
}

async function measure(dirs: string[], options: CandidateOptions): Promise<Sample[]> {
  await loadOpenCV();
  const samples: Sample[] = [];
  for (const dir of dirs) await measureFolder(dir, samples, options);
  return samples;
}

async function measureFolder(dir: string, samples: Sample[], options: CandidateOptions): Promise<void> {
  const truth = JSON.parse(await readFile(join(dir, 'truth.json'), 'utf8')) as Record<string, Box[]>;
  for (const file of Object.keys(truth).sort()) {
    const decoded = await decodeImage(join(dir, 'images', file));
    const { map, lines } = await textLineCandidates(decoded.pixels, options);
    samples.push({
      file,
      image: { width: decoded.width, height: decoded.height },
      truth: truth[file]!,
      lines: lines.map((l) => {
        const evidence = lineEvidence(decoded.pixels, map, l);
        return { ...scaleBox(l, decoded.scale), score: l.score, evidence: LINE_EVIDENCE_NAMES.map((n) => evidence[n]) };
      }),
    });
    if (samples.length % 100 === 0) process.stdout.write(`measured ${samples.length} images\n`);
  }
}

/** The lines measured on `dirs` (named by `dir`) from `file` if it holds them, else measured and written there. */
async function cachedSamples(file: string, dir: string, measureAll: () => Promise<Sample[]>): Promise<Sample[]> {
  if (existsSync(file)) {
    const cached = JSON.parse(await readFile(file, 'utf8')) as { dir: string; features: string[]; samples: Sample[] };
    if (cached.dir === dir && cached.features.join() === LINE_EVIDENCE_NAMES.join()) return cached.samples;
    throw new Error(`${file} was measured on ${cached.dir} with other features or folders: delete it to measure again`);
  }
  const samples = await measureAll();
  await writeFile(file, JSON.stringify({ dir, features: LINE_EVIDENCE_NAMES, samples }));
  return samples;
}

/** 1 = text, 0 = not text, undefined = a fragment or merge (left out). */
function label(line: Box, truth: Box[]): number | undefined {
  if (truth.some((t) => iou(line, t) >= 0.5)) return 1;
  const touched = truth.reduce((s, t) => s + intersectionArea(line, t), 0);
  return touched === 0 ? 0 : undefined;
}

function fit(xs: number[][], ys: number[]): Omit<LineVerifierModel, 'threshold' | 'imageThreshold'> {
  const d = LINE_EVIDENCE_NAMES.length;
  const mean = Array.from({ length: d }, (_, j) => xs.reduce((s, x) => s + x[j]!, 0) / xs.length);
  const std = Array.from({ length: d }, (_, j) => Math.sqrt(xs.reduce((s, x) => s + (x[j]! - mean[j]!) ** 2, 0) / xs.length) || 1);
  const z = xs.map((x) => x.map((v, j) => (v - mean[j]!) / std[j]!));
  // Classes are weighted equally, so the many texture candidates do not drown the text lines.
  const positives = ys.filter((y) => y === 1).length;
  const weightOf = (y: number) => (y === 1 ? ys.length / (2 * positives) : ys.length / (2 * (ys.length - positives)));
  const weights = new Array<number>(d).fill(0);
  let bias = 0;
  for (let step = 0; step < STEPS; step++) {
    const grad = new Array<number>(d).fill(0);
    let gradBias = 0;
    z.forEach((x, i) => {
      const p = 1 / (1 + Math.exp(-(bias + x.reduce((s, v, j) => s + v * weights[j]!, 0))));
      const e = (p - ys[i]!) * weightOf(ys[i]!);
      x.forEach((v, j) => (grad[j]! += e * v));
      gradBias += e;
    });
    for (let j = 0; j < d; j++) weights[j]! -= LEARNING_RATE * (grad[j]! / z.length + L2 * weights[j]!);
    bias -= (LEARNING_RATE * gradBias) / z.length;
  }
  return { features: [...LINE_EVIDENCE_NAMES], mean, std, weights, bias };
}

interface Figures {
  precision: number;
  recall: number;
  hmean: number;
  hasTextAccuracy: number;
}

/** Line P/R/Hmean (as eval:text scores them) and has-text accuracy of the lines kept by `keep`. */
function figures(samples: Sample[], keep: (line: Sample['lines'][number]) => boolean): Figures {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let correct = 0;
  for (const s of samples) {
    const kept = s.lines.filter(keep);
    const c = matchBoxes(kept, s.truth, 0.5);
    tp += c.tp;
    fp += c.fp;
    fn += c.fn;
    if (kept.length > 0 === s.truth.length > 0) correct++;
  }
  const precision = tp / Math.max(1, tp + fp);
  const recall = tp / Math.max(1, tp + fn);
  return { precision, recall, hmean: (2 * precision * recall) / Math.max(1e-9, precision + recall), hasTextAccuracy: correct / samples.length };
}

/**
 * The image's operating point: the noisy-OR of its lines' probabilities (textDetectionFromLines)
 * with the best has-text accuracy over all the images, among those leaving MIN_TEXT_FREE_CLEAR of
 * the text-free ones clear. The line threshold is chosen for lines; an image with one line just
 * over it is more often a texture than text (seeds 21+22: has-text accuracy 0.935 at the line
 * threshold 0.37, a plateau of 0.931-0.938 for 0.35-0.75, best at 0.65, where 97.5% of the
 * text-free images stay clear instead of 95.2%).
 */
function imageOperatingPoint(samples: Sample[], probability: (line: Sample['lines'][number]) => number): { threshold: number; accuracy: number; clear: number } {
  const anyText = samples.map((s) => anyLineIsText(s.lines.map(probability)));
  const textFree = samples.flatMap((s, i) => (s.truth.length === 0 ? [anyText[i]!] : []));
  let best = { threshold: 0.5, accuracy: 0, clear: 0 };
  for (let t = 0.05; t < 0.96; t += 0.01) {
    const clear = textFree.filter((p) => p < t).length / Math.max(1, textFree.length);
    if (clear < MIN_TEXT_FREE_CLEAR) continue;
    const accuracy = samples.filter((s, i) => anyText[i]! >= t === s.truth.length > 0).length / samples.length;
    if (accuracy > best.accuracy) best = { threshold: round(t), accuracy, clear };
  }
  return best;
}

const round = (v: number) => Math.round(v * 1000) / 1000;
const rounded = (f: Figures) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, round(v)]));

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const look = takeValue(args, '--look');
  const outFile = takeValue(args, '--out') ?? fileURLToPath(TEXT_LINE_VERIFIER_URL);
  const cache = takeValue(args, '--evidence-cache');
  const options: CandidateOptions = look === undefined ? ARTMETA_CANDIDATE_OPTIONS : { ...ARTMETA_CANDIDATE_OPTIONS, limitSide: Number(look), minLongSide: Number(look) };
  const dirs = args.length > 0 ? args : ['.scratch/synth-text'];
  if (dirs.some((d) => /shared\/data/.test(d))) throw new Error('the shared data folder is the validation set: fit on `npm run synth:text` output');
  const dir = dirs.join(' + ');
  const samples = cache === undefined ? await measure(dirs, options) : await cachedSamples(cache, dir, () => measure(dirs, options));
  const train = samples.filter((_, i) => i % HOLD_OUT_EVERY !== 0);
  const held = samples.filter((_, i) => i % HOLD_OUT_EVERY === 0);
  const xs: number[][] = [];
  const ys: number[] = [];
  for (const s of train) {
    for (const line of s.lines) {
      const y = label(line, s.truth);
      if (y === undefined) continue;
      xs.push(line.evidence);
      ys.push(y);
    }
  }
  const model = fit(xs, ys);
  const evidenceOf = (x: number[]) => Object.fromEntries(LINE_EVIDENCE_NAMES.map((n, j) => [n, x[j]!])) as Parameters<typeof verifyLine>[1];
  const withThreshold = (threshold: number) => ({ ...model, threshold });
  const textFree = samples.filter((s) => s.truth.length === 0);
  const clearShare = (t: number) =>
    textFree.filter((s) => s.lines.every((l) => verifyLine(withThreshold(t), evidenceOf(l.evidence)) < t)).length / Math.max(1, textFree.length);
  const thresholds = Array.from({ length: 91 }, (_, k) => round(0.05 + k * 0.01));
  const keptAt = (t: number) => (l: Sample['lines'][number]) => verifyLine(withThreshold(t), evidenceOf(l.evidence)) >= t;
  const point = lineOperatingPoint(thresholds, clearShare, (t) => figures(held, keptAt(t)).hmean, MIN_TEXT_FREE_CLEAR);
  if (!point.met) process.stderr.write(`no threshold leaves ${MIN_TEXT_FREE_CLEAR} of the text-free images clear: at most ${round(point.clear)}, at ${point.threshold}\n`);
  const chosen = { threshold: point.threshold, figures: figures(held, keptAt(point.threshold)), clear: point.clear };
  const detectorAlone = figures(held, (l) => l.score >= 0.6);
  const image = imageOperatingPoint(samples, (l) => verifyLine(withThreshold(chosen.threshold), evidenceOf(l.evidence)));
  const out = {
    ...withThreshold(chosen.threshold),
    imageThreshold: image.threshold,
    made: {
      by: `npm run fit:text (scripts/fit-text-verifier.ts)${look === undefined ? '' : ` --look ${look}`}`,
      data: `npm run synth:text: ${samples.length} images in ${dir}, ${train.length} to fit, ${held.length} held out`,
      lines: { fitted: ys.length, text: ys.filter((y) => y === 1).length },
      heldOut: { verifier: rounded(chosen.figures), detectorAloneAtBoxThreshold06: rounded(detectorAlone) },
      textFreeImagesClear: { images: textFree.length, share: round(chosen.clear) },
      image: { images: samples.length, hasTextAccuracy: round(image.accuracy), textFreeClear: round(image.clear) },
    },
  };
  await writeFile(outFile, `${JSON.stringify(out, null, 1)}\n`);
  process.stdout.write(`${JSON.stringify(out.made, null, 1)}\nthreshold ${chosen.threshold}, image threshold ${image.threshold}\n`);
}

await main();

/**
 * Would a second, larger look at some images lift the text stage's recall? Every image of each folder
 * goes through the text stage twice: at artmeta's network input (first look) and at a larger one
 * (`--second`, default 1024: the working copy's own long side). A trigger measured on the first look
 * decides which images also get the second; its threshold is fitted on the FIRST folder (a synth:text
 * folder: best line Hmean among thresholds that send at most `--max-share` of its images to the second
 * look) and then applied as is to the other folders. The second look's lines either replace the first
 * look's or are joined with them (a second-look line on a first-look line stands in for it when likelier).
 *
 * Per folder and policy: line P / R / Hmean (IoU ≥ 0.5, one-to-one, as eval:text), has-text accuracy,
 * text-free images left clear, badge placement clear of truth text, the share of images taking the
 * second look, and the stage's ms per image (median, mean, p90: first look, plus the second where taken,
 * as measured here — ratios only on a loaded machine).
 *
 * Folders: a synth:text folder (images/ and truth.json), a folder laid out as the validation set's
 * text folders (truth.json beside the images), or a photos folder (manifest.tsv: its has_text = n photos
 * as text-free images). Validation folders are looked at, never fitted on.
 *
 *   npm run measure:text-second-look -- <fit synth folder> <folder>... [--second N] [--max-share S]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Box, intersection, intersectionArea, iou, scaleBox } from '../analysis/geometry/box.ts';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { anyLineIsText, textDetectionFromLines } from '../analysis/text/detect-text.ts';
import { lineEvidence } from '../analysis/text/line-evidence.ts';
import { lineVerifierModel, verifyLine } from '../analysis/text/line-verifier.ts';
import { placeBox } from '../analysis/text/placement.ts';
import { ARTMETA_CANDIDATE_OPTIONS, type CandidateOptions, linesOfMap, networkMap } from '../analysis/text/text-line-candidates.ts';
import { matchBoxes } from '../test/eval/box-matching.ts';
import { BADGE_REQUEST, median, type TruthLine } from '../test/eval/text-eval.ts';

/** A second-look line stands for a first-look line it overlaps this much (IoU), or covers this share of the smaller. */
const SAME_LINE_IOU = 0.3;
const SAME_LINE_COVER = 0.6;
/** Quantiles of a signal on the fitting folder tried as trigger thresholds. */
const QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

interface ScoredLine extends Box {
  probability: number;
}

interface Look {
  lines: ScoredLine[];
  ms: number;
  /** Share of map pixels at 0.1-0.3: text the network half sees. */
  weakShare: number;
}

interface Sample {
  truth: TruthLine[];
  size: { width: number; height: number };
  longSide: number;
  lumaStd: number;
  first: Look;
  second: Look;
}

const args = process.argv.slice(2);
const option = (name: string): number | undefined => {
  const k = args.indexOf(name);
  return k >= 0 ? Number(args.splice(k, 2)[1]) : undefined;
};
const secondSide = option('--second') ?? 1024;
const maxShare = option('--max-share') ?? 0.45;
const folders = args.filter((a) => !a.startsWith('--'));
if (folders.length < 2) throw new Error('usage: npm run measure:text-second-look -- <fit synth folder> <folder>... [--second N] [--max-share S]');

const model = lineVerifierModel();
const firstOptions = ARTMETA_CANDIDATE_OPTIONS;
const secondOptions: CandidateOptions = { ...ARTMETA_CANDIDATE_OPTIONS, limitSide: secondSide, minLongSide: secondSide };

function folderImages(folder: string): Array<{ path: string; truth: TruthLine[] }> {
  if (existsSync(join(folder, 'manifest.tsv'))) {
    const rows = readFileSync(join(folder, 'manifest.tsv'), 'utf8').trim().split('\n').map((r) => r.split('\t'));
    const col = (name: string) => rows[0]!.indexOf(name);
    return rows.slice(1).filter((r) => r[col('has_text')] === 'n').map((r) => ({ path: join(folder, r[col('file')]!), truth: [] }));
  }
  const truth = JSON.parse(readFileSync(join(folder, 'truth.json'), 'utf8')) as Record<string, TruthLine[]>;
  const dir = existsSync(join(folder, 'images')) ? join(folder, 'images') : folder;
  return Object.keys(truth).sort().map((file) => ({ path: join(dir, file), truth: truth[file]! }));
}

async function look(decoded: Awaited<ReturnType<typeof decodeImage>>, options: CandidateOptions): Promise<Look> {
  const start = performance.now();
  const image = decoded.pixels;
  const map = await networkMap(image, options);
  const lines = linesOfMap(image, map, options).map((l) => ({ ...scaleBox(l, decoded.scale), probability: verifyLine(model, lineEvidence(image, map, l)) }));
  const ms = performance.now() - start;
  let weak = 0;
  for (const v of map.data) if (v > 0.1 && v < 0.3) weak++;
  return { lines, ms, weakShare: weak / map.data.length };
}

function lumaStd(image: { data: Uint8Array; width: number; height: number }): number {
  let sum = 0;
  let squares = 0;
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) {
    const y = 0.299 * image.data[3 * i]! + 0.587 * image.data[3 * i + 1]! + 0.114 * image.data[3 * i + 2]!;
    sum += y;
    squares += y * y;
  }
  return Math.sqrt(Math.max(0, squares / n - (sum / n) ** 2));
}

async function measure(folder: string): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const { path, truth } of folderImages(folder)) {
    const decoded = await decodeImage(path);
    samples.push({
      truth,
      size: { width: decoded.width, height: decoded.height },
      longSide: Math.max(decoded.pixels.width, decoded.pixels.height),
      lumaStd: lumaStd(decoded.pixels),
      first: await look(decoded, firstOptions),
      second: await look(decoded, secondOptions),
    });
  }
  return samples;
}

/** Signals measured on the first look (or the image), and which way points to a second look. */
const SIGNALS: Array<{ name: string; value: (s: Sample) => number; higher: boolean }> = [
  { name: 'likeliest rejected line', value: (s) => Math.max(0, ...s.first.lines.filter((l) => l.probability < model.threshold).map((l) => l.probability)), higher: true },
  { name: 'rejected lines', value: (s) => s.first.lines.filter((l) => l.probability < model.threshold).length, higher: true },
  { name: 'least likely kept line', value: (s) => Math.min(1, ...s.first.lines.filter((l) => l.probability >= model.threshold).map((l) => l.probability)), higher: false },
  { name: 'image probability', value: (s) => anyLineIsText(s.first.lines.map((l) => l.probability)), higher: false },
  { name: 'weak map share', value: (s) => s.first.weakShare, higher: true },
  { name: 'luma std', value: (s) => s.lumaStd, higher: false },
  { name: 'working long side', value: (s) => s.longSide, higher: true },
];

type Mode = 'replace' | 'join';

interface Policy {
  name: string;
  mode: Mode;
  takesSecond: (s: Sample) => boolean;
}

function joined(first: ScoredLine[], second: ScoredLine[]): ScoredLine[] {
  const out = [...first];
  for (const line of second) {
    const k = out.findIndex((o) => iou(o, line) >= SAME_LINE_IOU || intersectionArea(o, line) > SAME_LINE_COVER * Math.min(o.w * o.h, line.w * line.h));
    if (k < 0) out.push(line);
    else if (line.probability > out[k]!.probability) out[k] = line;
  }
  return out;
}

interface Score {
  tp: number;
  fp: number;
  fn: number;
  hmean: number;
  line: string;
  share: number;
}

function score(samples: Sample[], policy: Policy): Score {
  const counts = { tp: 0, fp: 0, fn: 0 };
  const n = { hasTextRight: 0, textFree: 0, clear: 0, freeCorner: 0, placedClear: 0, second: 0 };
  const ms: number[] = [];
  for (const s of samples) {
    const takes = policy.takesSecond(s);
    const lines = !takes ? s.first.lines : policy.mode === 'replace' ? s.second.lines : joined(s.first.lines, s.second.lines);
    const reported = textDetectionFromLines(lines, s.size, model);
    const c = matchBoxes(reported.regions, s.truth, 0.5);
    counts.tp += c.tp;
    counts.fp += c.fp;
    counts.fn += c.fn;
    const holdsText = s.truth.some((t) => !t.ignore);
    if (holdsText === reported.probability >= 0.5) n.hasTextRight++;
    if (!holdsText) {
      n.textFree++;
      if (reported.regions.length === 0) n.clear++;
    }
    if (placeBox(s.size, BADGE_REQUEST, { text: s.truth, faces: [] }, { textPadding: 0 }).fits) {
      n.freeCorner++;
      const placed = placeBox(s.size, BADGE_REQUEST, { text: reported.regions, faces: [] });
      if (placed.fits && placed.box && !s.truth.some((t) => intersection(placed.box!, t))) n.placedClear++;
    }
    if (takes) n.second++;
    ms.push(s.first.ms + (takes ? s.second.ms : 0));
  }
  const p = counts.tp / Math.max(1, counts.tp + counts.fp);
  const r = counts.tp / Math.max(1, counts.tp + counts.fn);
  const hmean = (2 * p * r) / Math.max(1e-9, p + r);
  const sorted = [...ms].sort((a, b) => a - b);
  const share = n.second / samples.length;
  const line =
    `${policy.name.padEnd(52)} P ${p.toFixed(3)} R ${r.toFixed(3)} H ${hmean.toFixed(3)} (${counts.tp} ${counts.fp} ${counts.fn})  ` +
    `has-text ${(n.hasTextRight / samples.length).toFixed(3)}  text-free clear ${n.clear}/${n.textFree}  placement ${n.placedClear}/${n.freeCorner}  ` +
    `second look ${(100 * share).toFixed(0)}%  ms median ${median(ms).toFixed(1)} mean ${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(1)} p90 ${sorted[Math.floor(0.9 * (sorted.length - 1))]!.toFixed(1)}`;
  return { ...counts, hmean, line, share };
}

function fittedTriggers(fit: Sample[]): Policy[] {
  const policies: Policy[] = [];
  for (const mode of ['replace', 'join'] as const) {
    for (const signal of SIGNALS) {
      const values = fit.map(signal.value).sort((a, b) => a - b);
      let best: { policy: Policy; hmean: number } | undefined;
      for (const t of new Set(QUANTILES.map((q) => values[Math.floor(q * (values.length - 1))]!))) {
        const policy: Policy = {
          name: `${mode}, ${signal.name} ${signal.higher ? '>=' : '<='} ${Number(t.toPrecision(4))}`,
          mode,
          takesSecond: (s) => (signal.higher ? signal.value(s) >= t : signal.value(s) <= t),
        };
        const fitted = score(fit, policy);
        if (fitted.share <= maxShare && (!best || fitted.hmean > best.hmean)) best = { policy, hmean: fitted.hmean };
      }
      if (best) policies.push(best.policy);
    }
  }
  return policies;
}

await loadOpenCV();
const measured = new Map<string, Sample[]>();
for (const folder of folders) measured.set(folder, await measure(folder));
const fixed: Policy[] = [
  { name: `first look only (${firstOptions.limitSide})`, mode: 'replace', takesSecond: () => false },
  { name: `second look only (${secondSide})`, mode: 'replace', takesSecond: () => true },
  { name: 'both looks on every image, joined', mode: 'join', takesSecond: () => true },
];
const triggers = fittedTriggers(measured.get(folders[0]!)!);
for (const [folder, samples] of measured) {
  process.stdout.write(`${folder}: ${samples.length} images${folder === folders[0] ? ' (triggers fitted here)' : ''}\n`);
  for (const policy of [...fixed, ...triggers]) process.stdout.write(`  ${score(samples, policy).line}\n`);
}

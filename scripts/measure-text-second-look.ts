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
 * `--second-verifier FILE` scores the second look's lines with a verifier fitted for it (`npm run
 * fit:text -- ... --look N --out FILE`) instead of the committed one; the reported probabilities of
 * both looks are then read against each one's own operating point (rescaled so it reads 0.5);
 * `--first-verifier FILE` likewise replaces the committed verifier for the first look.
 *
 * A band-limited second look (only in rows around the first look's unsure lines, see Band) is fitted
 * on the first folder too: the best band spending at most `--max-cost` (default 0.25) of a whole second
 * look per image, and the best at half that. `--cache DIR` keeps each folder's measured looks (boxes
 * and evidence, so any verifier can score them) for the next run.
 *
 *   npm run measure:text-second-look -- <fit synth folder> <folder>... [--second N] [--max-share S]
 *     [--max-cost C] [--first-verifier FILE] [--second-verifier FILE] [--cache DIR]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Box, intersection, intersectionArea, iou, scaleBox } from '../analysis/geometry/box.ts';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { anyLineIsText, calibrate } from '../analysis/text/detect-text.ts';
import { type LineEvidence, lineEvidence } from '../analysis/text/line-evidence.ts';
import { type LineVerifierModel, lineVerifierModel, verifyLine } from '../analysis/text/line-verifier.ts';
import { placeBox } from '../analysis/text/placement.ts';
import { ARTMETA_CANDIDATE_OPTIONS, type CandidateOptions, linesOfMap, networkMap } from '../analysis/text/text-line-candidates.ts';
import { matchBoxes } from '../test/eval/box-matching.ts';
import { BADGE_REQUEST, median, type TruthLine } from '../test/eval/text-eval.ts';
import { takeNumber, takeValue } from './script-arguments.ts';

/** A second-look line stands for a first-look line it overlaps this much (IoU), or covers this share of the smaller. */
const SAME_LINE_IOU = 0.3;
const SAME_LINE_COVER = 0.6;
/** Quantiles of a signal on the fitting folder tried as trigger thresholds. */
const QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

interface ScoredLine extends Box {
  probability: number;
}

/** A candidate line with its evidence, scored at scoring time by the verifier of its look. */
interface MeasuredLine extends Box {
  evidence: LineEvidence;
}

interface Look {
  lines: MeasuredLine[];
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
const option = (name: string): number | undefined => takeNumber(args, name);
const secondSide = option('--second') ?? 1024;
const maxShare = option('--max-share') ?? 0.45;
const maxCost = option('--max-cost') ?? 0.25;
const secondVerifierFile = takeValue(args, '--second-verifier');
const firstVerifierFile = takeValue(args, '--first-verifier');
const cacheDir = takeValue(args, '--cache');
const folders = args.filter((a) => !a.startsWith('--'));
if (folders.length < 2) throw new Error('usage: npm run measure:text-second-look -- <fit synth folder> <folder>... [--second N] [--max-share S] [--max-cost C] [--first-verifier FILE] [--second-verifier FILE] [--cache DIR]');

const readModel = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as LineVerifierModel;
const model = firstVerifierFile ? readModel(firstVerifierFile) : lineVerifierModel();
const secondModel = secondVerifierFile ? readModel(secondVerifierFile) : model;
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
  const lines = linesOfMap(image, map, options).map((l) => ({ ...scaleBox(l, decoded.scale), evidence: lineEvidence(image, map, l) }));
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

/** The looks of a folder, read from `--cache DIR` when it holds them (same folder, same second side), else measured and written there. */
async function measure(folder: string): Promise<Sample[]> {
  const cached = cacheDir ? join(cacheDir, `${folder.replace(/[^A-Za-z0-9]+/g, '_')}-${secondSide}.json`) : undefined;
  if (cached && existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as Sample[];
  const samples = await measureLooks(folder);
  if (cached) {
    mkdirSync(cacheDir!, { recursive: true });
    writeFileSync(cached, JSON.stringify(samples));
  }
  return samples;
}

async function measureLooks(folder: string): Promise<Sample[]> {
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

/** A sample with each look's lines scored by that look's verifier (raw probabilities) and its image decision. */
interface Judged extends Sample {
  firstLines: ScoredLine[];
  secondLines: ScoredLine[];
  firstHasText: boolean;
  secondHasText: boolean;
}

function judged(s: Sample): Judged {
  const firstLines = s.first.lines.map((l) => ({ x: l.x, y: l.y, w: l.w, h: l.h, probability: verifyLine(model, l.evidence) }));
  const secondLines = s.second.lines.map((l) => ({ x: l.x, y: l.y, w: l.w, h: l.h, probability: verifyLine(secondModel, l.evidence) }));
  return {
    ...s,
    firstLines,
    secondLines,
    firstHasText: anyLineIsText(firstLines.map((l) => l.probability)) >= model.imageThreshold,
    secondHasText: anyLineIsText(secondLines.map((l) => l.probability)) >= secondModel.imageThreshold,
  };
}

/** Signals measured on the first look (or the image), and which way points to a second look. */
const SIGNALS: Array<{ name: string; value: (s: Judged) => number; higher: boolean }> = [
  { name: 'likeliest rejected line', value: (s) => Math.max(0, ...s.firstLines.filter((l) => l.probability < model.threshold).map((l) => l.probability)), higher: true },
  { name: 'rejected lines', value: (s) => s.firstLines.filter((l) => l.probability < model.threshold).length, higher: true },
  { name: 'least likely kept line', value: (s) => Math.min(1, ...s.firstLines.filter((l) => l.probability >= model.threshold).map((l) => l.probability)), higher: false },
  { name: 'image probability', value: (s) => anyLineIsText(s.firstLines.map((l) => l.probability)), higher: false },
  { name: 'weak map share', value: (s) => s.first.weakShare, higher: true },
  { name: 'luma std', value: (s) => s.lumaStd, higher: false },
  { name: 'working long side', value: (s) => s.longSide, higher: true },
];

/**
 * replace: the second look's lines stand instead of the first's; join: both, a second-look line on a
 * first-look line standing for it when likelier; band: the second look only in horizontal bands
 * around the first look's unsure lines (see Band), joined.
 */
type Mode = 'replace' | 'join' | 'band';

/**
 * Where a band-limited second look is taken: rows around each first-look line whose raw probability
 * is in [low, high] (unsure), padded by `pad` line heights above and below; its lines count only when
 * their box lies inside a band. The cost is the second look's time times the share of the image's
 * rows the bands cover (a crop through the network costs about its share of the pixels).
 */
interface Band {
  low: number;
  high: number;
  pad: number;
}

interface Policy {
  name: string;
  mode: Mode;
  takesSecond: (s: Judged) => boolean;
  band?: Band;
}

/** Rows [top, bottom) of the bands around a sample's unsure first-look lines, merged. */
function bandRows(s: Judged, band: Band): Array<[number, number]> {
  const rows = s.firstLines
    .filter((l) => l.probability >= band.low && l.probability <= band.high)
    .map((l): [number, number] => [Math.max(0, l.y - band.pad * l.h), Math.min(s.size.height, l.y + l.h + band.pad * l.h)])
    .sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of rows) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([...r]);
  }
  return merged;
}

interface Calibrated extends Box {
  probability: number;
}

/** Lines with probabilities rescaled to their own look's operating point (0.5 = its threshold), so two verifiers compare. */
function calibrated(lines: ScoredLine[], threshold: number): Calibrated[] {
  return lines.map((l) => ({ ...l, probability: calibrate(l.probability, threshold) }));
}

function joined(first: Calibrated[], second: Calibrated[]): Calibrated[] {
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
  /** Mean share of the second look's pixels spent per image (1 for a whole second look). */
  cost: number;
}

/** What a policy reports on one sample: whether the image holds text, its lines (calibrated: ≥ 0.5 reported), the share of a second look spent. */
function decide(s: Judged, policy: Policy): { hasText: boolean; lines: Calibrated[]; cost: number } {
  const first = calibrated(s.firstLines, model.threshold);
  if (!policy.takesSecond(s)) return { hasText: s.firstHasText, lines: first, cost: 0 };
  const second = calibrated(s.secondLines, secondModel.threshold);
  if (policy.mode === 'replace') return { hasText: s.secondHasText, lines: second, cost: 1 };
  if (policy.mode === 'join') return { hasText: s.firstHasText || s.secondHasText, lines: joined(first, second), cost: 1 };
  const rows = bandRows(s, policy.band!);
  const inBand = second.filter((l) => rows.some(([top, bottom]) => l.y >= top && l.y + l.h <= bottom));
  const cost = rows.reduce((sum, [top, bottom]) => sum + bottom - top, 0) / s.size.height;
  // A band's line says the image holds text only when it is reported on its own look's terms.
  return { hasText: s.firstHasText || inBand.some((l) => l.probability >= 0.5 && s.secondHasText), lines: joined(first, inBand), cost };
}

function score(samples: Judged[], policy: Policy): Score {
  const counts = { tp: 0, fp: 0, fn: 0 };
  const n = { hasTextRight: 0, textFree: 0, clear: 0, freeCorner: 0, placedClear: 0, second: 0, cost: 0 };
  const ms: number[] = [];
  for (const s of samples) {
    const decided = decide(s, policy);
    const regions = decided.hasText ? decided.lines.filter((l) => l.probability >= 0.5).sort((a, b) => b.probability - a.probability) : [];
    const c = matchBoxes(regions, s.truth, 0.5);
    counts.tp += c.tp;
    counts.fp += c.fp;
    counts.fn += c.fn;
    const holdsText = s.truth.some((t) => !t.ignore);
    if (holdsText === decided.hasText) n.hasTextRight++;
    if (!holdsText) {
      n.textFree++;
      if (regions.length === 0) n.clear++;
    }
    if (placeBox(s.size, BADGE_REQUEST, { text: s.truth, faces: [] }, { textPadding: 0 }).fits) {
      n.freeCorner++;
      const placed = placeBox(s.size, BADGE_REQUEST, { text: regions, faces: [] });
      if (placed.fits && placed.box && !s.truth.some((t) => intersection(placed.box!, t))) n.placedClear++;
    }
    if (decided.cost > 0) n.second++;
    n.cost += decided.cost;
    ms.push(s.first.ms + decided.cost * s.second.ms);
  }
  const p = counts.tp / Math.max(1, counts.tp + counts.fp);
  const r = counts.tp / Math.max(1, counts.tp + counts.fn);
  const hmean = (2 * p * r) / Math.max(1e-9, p + r);
  const sorted = [...ms].sort((a, b) => a - b);
  const share = n.second / samples.length;
  const cost = n.cost / samples.length;
  const line =
    `${policy.name.padEnd(52)} P ${p.toFixed(3)} R ${r.toFixed(3)} H ${hmean.toFixed(3)} (${counts.tp} ${counts.fp} ${counts.fn})  ` +
    `has-text ${(n.hasTextRight / samples.length).toFixed(3)}  text-free clear ${n.clear}/${n.textFree}  placement ${n.placedClear}/${n.freeCorner}  ` +
    `second look ${(100 * share).toFixed(0)}% (pixels ${(100 * cost).toFixed(0)}%)  ms median ${median(ms).toFixed(1)} mean ${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(1)} p90 ${sorted[Math.floor(0.9 * (sorted.length - 1))]!.toFixed(1)}`;
  return { ...counts, hmean, line, share, cost };
}

function fittedTriggers(fit: Judged[]): Policy[] {
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

/** Unsure ranges and pads tried for the band-limited second look (raw probabilities of the first look's verifier). */
const BAND_LOWS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2];
const BAND_HIGHS = [0.9, 0.95, 0.98, 0.99, 0.995, 1];
const BAND_PADS = [0.5, 1, 1.5, 2];

/**
 * The band with the best line Hmean on the fitting folder among those spending at most `--max-cost`
 * of a whole second look per image, and the best one spending at most half of that.
 */
function fittedBands(fit: Judged[]): Policy[] {
  const found: Array<{ policy: Policy; hmean: number; cost: number }> = [];
  for (const low of BAND_LOWS) {
    for (const high of BAND_HIGHS) {
      for (const pad of BAND_PADS) {
        const policy: Policy = { name: `band, unsure ${low}-${high}, pad ${pad}`, mode: 'band', takesSecond: () => true, band: { low, high, pad } };
        const fitted = score(fit, policy);
        found.push({ policy, hmean: fitted.hmean, cost: fitted.cost });
      }
    }
  }
  const best = (budget: number) => found.filter((f) => f.cost <= budget).sort((a, b) => b.hmean - a.hmean)[0]?.policy;
  return [best(maxCost), best(maxCost / 2)].filter((p): p is Policy => p !== undefined);
}

await loadOpenCV();
const measured = new Map<string, Judged[]>();
for (const folder of folders) measured.set(folder, (await measure(folder)).map(judged));
const fixed: Policy[] = [
  { name: `first look only (${firstOptions.limitSide})`, mode: 'replace', takesSecond: () => false },
  { name: `second look only (${secondSide})`, mode: 'replace', takesSecond: () => true },
  { name: 'both looks on every image, joined', mode: 'join', takesSecond: () => true },
];
const fitFolder = measured.get(folders[0]!)!;
const triggers = [...fittedTriggers(fitFolder), ...fittedBands(fitFolder)];
for (const [folder, samples] of measured) {
  process.stdout.write(`${folder}: ${samples.length} images${folder === folders[0] ? ' (triggers fitted here)' : ''}\n`);
  for (const policy of [...fixed, ...triggers]) process.stdout.write(`  ${score(samples, policy).line}\n`);
}

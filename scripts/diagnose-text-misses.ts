/**
 * Where the text stage loses the lines it misses: every required truth line that detectText does
 * not report (no region at IoU ≥ 0.5) is put down to the first stage that lost it —
 *   gated:     the verifier keeps a line on it, but the image as a whole stays under the image threshold;
 *   rejected:  a candidate line matches it (IoU ≥ 0.5) but the verifier scores it below the threshold;
 *   merged:    a candidate holding most of it also holds most of another truth line (joining or one DB box);
 *   overgrown: a candidate holding most of it is much larger, with no other truth line (joined with non-text);
 *   split:     two or more candidates lie mostly inside it (words or letters the joining left apart);
 *   geometry:  one candidate lies on it, alone, at IoU < 0.5 (its box is too small or too large);
 *   box-score: DB found a box on it, but its mean probability is under the box threshold;
 *   stirred:   the map rises on it (peak ≥ STIRRED) without a box (below DB's binarisation or size);
 *   never:     the network's map stays quiet on it.
 * Counts per folder, per role, per script, per height (share of the image height) and, on synth:text
 * folders, per treatment (its truth's `style`: a line counts under each of its tags); `--list` prints
 * every miss. Folders: a synth:text folder (images/ and truth.json with scripts) or a folder laid out as
 * the validation set's text folders — on those, look and never fit.
 *
 * Also prints the line P/R/Hmean (IoU ≥ 0.5, one-to-one, as eval:text) and has-text accuracy.
 * `--min-long-side N`, `--limit-side N` try other network input sizes than artmeta's.
 *
 *   npm run diagnose:text -- <folder>... [--list] [--min-long-side N] [--limit-side N]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Box, intersectionArea, iou, scaleBox } from '../analysis/geometry/box.ts';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { dbBoxes } from '../analysis/text/db-postprocess.ts';
import { lineEvidence, mapEvidence } from '../analysis/text/line-evidence.ts';
import { textDetectionFromLines } from '../analysis/text/detect-text.ts';
import { lineVerifierModel, verifyLine } from '../analysis/text/line-verifier.ts';
import { ARTMETA_CANDIDATE_OPTIONS, type CandidateOptions, linesOfMap, networkMap } from '../analysis/text/text-line-candidates.ts';
import { matchBoxes } from '../test/eval/box-matching.ts';
import { scriptOf, type TruthLine } from '../test/eval/text-eval.ts';
import { takeNumber } from './script-arguments.ts';

/** Map peak on a truth line that counts as the network having seen something there. */
const STIRRED = 0.1;
/** A candidate "holds" a truth line when it covers this share of it; "lies inside" one at this share of its own area. */
const HOLDS = 0.5;
const INSIDE = 0.6;

const CATEGORIES = ['found', 'gated', 'rejected', 'merged', 'overgrown', 'split', 'geometry', 'box-score', 'stirred', 'never'] as const;
type Category = (typeof CATEGORIES)[number];

interface Candidate extends Box {
  probability: number;
}

const args = process.argv.slice(2);
const option = (name: string): number | undefined => takeNumber(args, name);
const candidateOptions: CandidateOptions = {
  ...ARTMETA_CANDIDATE_OPTIONS,
  minLongSide: option('--min-long-side') ?? ARTMETA_CANDIDATE_OPTIONS.minLongSide,
  limitSide: option('--limit-side') ?? ARTMETA_CANDIDATE_OPTIONS.limitSide,
};
const list = args.includes('--list');
const folders = args.filter((a) => !a.startsWith('--'));
if (folders.length === 0) throw new Error('usage: npm run diagnose:text -- <folder>... [--list] [--min-long-side N] [--limit-side N]');

const areaOf = (b: Box) => Math.max(1e-9, b.w * b.h);

function categorise(t: TruthLine, others: TruthLine[], lines: Candidate[], threshold: number, imageHoldsText: boolean, lowBoxes: Box[], peak: number): { category: Category; detail: string } {
  const best = lines.reduce((b, l) => Math.max(b, iou(l, t)), 0);
  if (lines.some((l) => l.probability >= threshold && iou(l, t) >= 0.5)) return { category: imageHoldsText ? 'found' : 'gated', detail: '' };
  const matching = lines.filter((l) => iou(l, t) >= 0.5);
  if (matching.length) return { category: 'rejected', detail: `p=${Math.max(...matching.map((l) => l.probability)).toFixed(3)}` };
  const holding = lines.filter((l) => intersectionArea(l, t) >= HOLDS * areaOf(t));
  const mergedWith = holding.find((l) => others.some((o) => intersectionArea(l, o) >= HOLDS * areaOf(o)));
  if (mergedWith) return { category: 'merged', detail: `iou ${iou(mergedWith, t).toFixed(2)}` };
  if (holding.some((l) => areaOf(l) >= 2 * areaOf(t) && iou(l, t) < 0.5)) return { category: 'overgrown', detail: `iou ${best.toFixed(2)}` };
  const inside = lines.filter((l) => intersectionArea(l, t) >= INSIDE * areaOf(l));
  if (inside.length >= 2) return { category: 'split', detail: `${inside.length} parts, best iou ${best.toFixed(2)}` };
  if (best > 0) {
    const l = lines.reduce((a, b) => (iou(b, t) > iou(a, t) ? b : a));
    return { category: 'geometry', detail: `iou ${best.toFixed(2)} cand ${fmt(l)} h/t ${(l.h / t.h).toFixed(2)} w/t ${(l.w / t.w).toFixed(2)}` };
  }
  if (lowBoxes.some((b) => intersectionArea(b, t) > 0)) return { category: 'box-score', detail: '' };
  return peak >= STIRRED ? { category: 'stirred', detail: `peak ${peak.toFixed(2)}` } : { category: 'never', detail: `peak ${peak.toFixed(2)}` };
}

const fmt = (b: Box) => `${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.w)}x${Math.round(b.h)}`;

const HEIGHT_BINS = [0.02, 0.04, 0.08, 0.16, Infinity];
const heightBin = (share: number) => {
  const k = HEIGHT_BINS.findIndex((b) => share < b);
  return k === 0 ? 'h<2%' : k === HEIGHT_BINS.length - 1 ? 'h>=16%' : `h${HEIGHT_BINS[k - 1]! * 100}-${HEIGHT_BINS[k]! * 100}%`;
};

class CrossTab {
  readonly rows = new Map<string, Map<Category, number>>();
  add(row: string, category: Category): void {
    const r = this.rows.get(row) ?? new Map<Category, number>();
    r.set(category, (r.get(category) ?? 0) + 1);
    this.rows.set(row, r);
  }
  format(title: string): string {
    const out = [`  ${title.padEnd(14)}${CATEGORIES.map((c) => c.padStart(10)).join('')}     all`];
    for (const [row, counts] of [...this.rows.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const all = [...counts.values()].reduce((s, v) => s + v, 0);
      out.push(`  ${row.padEnd(14)}${CATEGORIES.map((c) => String(counts.get(c) ?? 0).padStart(10)).join('')}${String(all).padStart(8)}`);
    }
    return out.join('\n');
  }
}

async function diagnose(folder: string): Promise<void> {
  const synth = existsSync(join(folder, 'images'));
  const truth = JSON.parse(readFileSync(join(folder, 'truth.json'), 'utf8')) as Record<string, Array<TruthLine & { script?: string; style?: string[] }>>;
  const provenance = synth ? {} : (JSON.parse(readFileSync(join(folder, 'provenance.json'), 'utf8')) as Record<string, string>);
  const model = lineVerifierModel();
  const total = new CrossTab();
  const byRole = new CrossTab();
  const byScript = new CrossTab();
  const byHeight = new CrossTab();
  const byStyle = new CrossTab();
  const misses: string[] = [];
  let falsePositives = 0;
  const counts = { tp: 0, fp: 0, fn: 0 };
  let hasTextRight = 0;
  for (const file of Object.keys(truth).sort()) {
    const decoded = await decodeImage(join(folder, synth ? 'images' : '', file));
    const image = decoded.pixels;
    const map = await networkMap(image, candidateOptions);
    const toStored = (b: Box) => scaleBox(b, decoded.scale);
    const lines: Candidate[] = linesOfMap(image, map, candidateOptions).map((l) => ({
      ...toStored(l),
      probability: verifyLine(model, lineEvidence(image, map, l)),
    }));
    const lowBoxes = dbBoxes(map, { ...candidateOptions.db, boxThreshold: 0 }).map(toStored);
    const required = truth[file]!.filter((t) => !t.ignore);
    const holdsText = textDetectionFromLines(lines, decoded, model).probability >= 0.5;
    for (const t of required) {
      const { category, detail } = categorise(t, required.filter((o) => o !== t), lines, model.threshold, holdsText, lowBoxes, mapEvidence(map, scaleBox(t, 1 / decoded.scale)).mapPeak);
      const script = t.script ?? scriptOf(provenance[file]);
      total.add('all', category);
      byRole.add(t.role, category);
      byScript.add(script, category);
      byHeight.add(heightBin(t.h / decoded.height), category);
      if (t.style) for (const tag of t.style.length ? t.style : ['plain']) byStyle.add(tag, category);
      if (category !== 'found') misses.push(`  ${file}  ${category.padEnd(9)} ${t.role.padEnd(8)} ${script.padEnd(10)} truth ${fmt(t)} "${t.text}" ${detail}`);
    }
    const kept = holdsText ? lines.filter((l) => l.probability >= model.threshold) : [];
    const c = matchBoxes(kept, truth[file]!, 0.5);
    counts.tp += c.tp;
    counts.fp += c.fp;
    counts.fn += c.fn;
    if (holdsText === required.length > 0) hasTextRight++;
    const stray = kept.filter((l) => !truth[file]!.some((t) => iou(l, t) >= 0.5 || intersectionArea(l, t) >= 0.5 * areaOf(l)));
    falsePositives += stray.length;
    for (const l of stray) misses.push(`  ${file}  false     ${required.length ? 'in text image' : 'in text-free image'} ${fmt(l)} p=${l.probability.toFixed(3)}`);
  }
  const precision = counts.tp / Math.max(1, counts.tp + counts.fp);
  const recall = counts.tp / Math.max(1, counts.tp + counts.fn);
  process.stdout.write(
    [
      `${folder}: ${Object.keys(truth).length} images; reported lines on no truth line: ${falsePositives}`,
      `  lines P ${precision.toFixed(3)} R ${recall.toFixed(3)} Hmean ${((2 * precision * recall) / Math.max(1e-9, precision + recall)).toFixed(3)} ` +
        `(TP ${counts.tp} FP ${counts.fp} FN ${counts.fn}); has-text accuracy ${(hasTextRight / Object.keys(truth).length).toFixed(3)}; ` +
        `network long side ${candidateOptions.minLongSide ? `${candidateOptions.minLongSide}-` : '≤'}${candidateOptions.limitSide}`,
      total.format('category'),
      byRole.format('role'),
      byScript.format('script'),
      byHeight.format('height'),
      ...(byStyle.rows.size ? [byStyle.format('treatment')] : []),
      ...(list ? ['  misses:', ...misses] : []),
      '',
    ].join('\n'),
  );
}

await loadOpenCV();
for (const folder of folders) await diagnose(folder);

/**
 * Where lineage grouping loses the pairs it misses, on a synth:lineages folder (never the validation
 * set): each image that does not join a lineage holding a true sibling is put down to one stage —
 *   candidates: no image of a sibling lineage got the votes (or rank) to be a candidate;
 *   cutoff:     a sibling lineage was a candidate but below the verified-lineage limit;
 *   verify:     verified, every representative tried scored below the threshold;
 *   core:       a representative passed the threshold but the footprint missed the shared core;
 * and, for `verify`, whether some member outside the representatives would have passed (a
 * representative-set loss). Images that join a wrong lineage are listed too.
 *
 * --orders N then replays N seeded random arrival orders (the catalogue assigns images as they arrive,
 * `artmeta cluster` in the canonical order): per order pairwise P / R and false-merge pairs, and each
 * wrong join — the image, the lineage's root, the representative it verified against, the pair's index
 * and metrics, and the lineage's members at that moment.
 *
 *   npm run diagnose:lineage -- [synth dir, default .scratch/synth-lineages] [--orders N] [--verified N] [--representatives N] [--indexed N]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CANDIDATE_INDEX_DEFAULTS, CandidateIndex } from '../analysis/lineage/candidate-index.ts';
import type { ImageSignature } from '../analysis/lineage/image-signature.ts';
import { compareCanonical, LINEAGE_INDEX_DEFAULTS, LineageIndex } from '../analysis/lineage/lineage-clustering.ts';
import { decodeSignature, encodeSignature, SIGNATURE_VERSION } from '../analysis/lineage/signature-codec.ts';
import { signaturesOfFiles } from '../analysis/lineage/signature-files.ts';
import { defaultModel, similarity } from '../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { describeWrongJoin, replayOrders, summariseOrders } from '../test/eval/arrival-orders.ts';
import { takeNumber } from './script-arguments.ts';

const args = process.argv.slice(2);
const option = (name: string): number | undefined => takeNumber(args, name);
const orders = option('--orders') ?? 0;
const verifiedLineages = option('--verified') ?? LINEAGE_INDEX_DEFAULTS.verifiedLineages;
const representatives = option('--representatives') ?? LINEAGE_INDEX_DEFAULTS.representatives;
const minVotes = option('--min-votes') ?? LINEAGE_INDEX_DEFAULTS.minVotes;
const candidateLimit = option('--candidates') ?? LINEAGE_INDEX_DEFAULTS.candidates;
const candidateIndex = {
  tables: option('--tables') ?? CANDIDATE_INDEX_DEFAULTS.tables,
  bitsPerKey: option('--bits') ?? CANDIDATE_INDEX_DEFAULTS.bitsPerKey,
  indexedFeatures: option('--indexed') ?? CANDIDATE_INDEX_DEFAULTS.indexedFeatures,
};
const dir = args[0] ?? '.scratch/synth-lineages';
if (/shared\/data/.test(dir)) throw new Error('the shared data folder is the validation set: diagnose on `npm run synth:lineages` output');

const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, string>;
const transforms = JSON.parse(readFileSync(join(dir, 'transforms.json'), 'utf8')) as Record<string, { family: string; steps: string[] }>;
const files = Object.keys(truth).sort();

/** Signatures are cached next to the images (the signature version is in the file name). */
async function signatures(): Promise<ImageSignature[]> {
  const cache = join(dir, `signatures-v${SIGNATURE_VERSION}.bin`);
  if (existsSync(cache)) {
    const bytes = readFileSync(cache);
    const out: ImageSignature[] = [];
    for (let at = 0; at < bytes.length; ) {
      const n = bytes.readUInt32LE(at);
      out.push(decodeSignature(bytes.subarray(at + 4, at + 4 + n)));
      at += 4 + n;
    }
    if (out.length === files.length) return out;
  }
  await loadOpenCV();
  const out = await signaturesOfFiles(dir, files);
  const chunks = out.flatMap((s) => {
    const encoded = encodeSignature(s);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(encoded.length);
    return [length, Buffer.from(encoded)];
  });
  writeFileSync(cache, Buffer.concat(chunks));
  return out;
}

await loadOpenCV();
const all = await signatures();
const threshold = defaultModel().threshold;
const byFile = new Map(files.map((f, k) => [f, all[k]!]));
/** Pair similarity per direction, so that re-verifying a pair for the diagnosis costs nothing. */
const memo = new Map<string, ReturnType<typeof similarity>>();
const pair = (a: ImageSignature, b: ImageSignature) => {
  const key = a.contentHash + b.contentHash;
  let r = memo.get(key);
  if (!r) memo.set(key, (r = similarity(a, b)));
  return r;
};
let tried: Array<{ b: ImageSignature; index: number; homography: boolean }> = [];
const index = new LineageIndex({
  verifiedLineages,
  representatives,
  minVotes,
  candidates: candidateLimit,
  candidateIndex,
  similarity: (a, b) => {
    const r = pair(a, b);
    tried.push({ b, index: r.index, homography: !!r.homography });
    return r;
  },
});
// Built with the same options from the same images in the same order, it gives exactly the candidates
// LineageIndex looks at (which it does not expose).
const shadow = new CandidateIndex(candidateIndex);
// LineageIndex.cluster's canonical order.
const ordered = files
  .map((id) => ({ id, signature: byFile.get(id)! }))
  .sort(compareCanonical)
  .map((image) => image.id);
const lineageOfSlot: string[] = [];
const membersOf = new Map<string, string[]>();
const stages = new Map<string, number>();
const byFamily = new Map<string, Map<string, number>>();
let wrong = 0;
for (const file of ordered) {
  const signature = byFile.get(file)!;
  const candidates = shadow.query(signature, candidateLimit, minVotes);
  tried = [];
  const lineage = index.add(file, signature);
  const slot = shadow.add(signature);
  lineageOfSlot[slot] = lineage;
  const members = membersOf.get(lineage) ?? [];
  const isNew = members.length === 0;
  members.push(file);
  membersOf.set(lineage, members);
  const siblingLineages = new Set([...membersOf].filter(([id, m]) => id !== lineage && m.some((f) => truth[f] === truth[file])).map(([id]) => id));
  if (!isNew && truth[members[0]!] !== truth[file]) {
    wrong++;
    console.log(`WRONG JOIN ${file} (${truth[file]}) joined ${lineage} rooted at ${members[0]} (${truth[members[0]!]})`);
  }
  if (!isNew || siblingLineages.size === 0) continue;
  // Created a new lineage although a sibling's lineage existed: which stage lost it?
  const seen: string[] = [];
  for (const c of candidates) if (!seen.includes(lineageOfSlot[c.slot]!)) seen.push(lineageOfSlot[c.slot]!);
  const rank = seen.findIndex((l) => siblingLineages.has(l));
  const trueSlots = [...siblingLineages].flatMap((l) => membersOf.get(l)!).map((f) => byFile.get(f)!);
  const best = Math.max(...trueSlots.map((s) => pair(signature, s).index));
  const triedTrue = tried.filter((t) => trueSlots.includes(t.b));
  let stage: string;
  if (rank < 0) stage = 'candidates';
  else if (rank >= verifiedLineages) stage = 'cutoff';
  else if (triedTrue.some((t) => t.index >= threshold && t.homography)) stage = 'core';
  else stage = best >= threshold ? 'verify (a non-representative member passes)' : 'verify';
  stages.set(stage, (stages.get(stage) ?? 0) + 1);
  const family = transforms[file]!.family;
  const f = byFamily.get(family) ?? new Map<string, number>();
  f.set(stage, (f.get(stage) ?? 0) + 1);
  byFamily.set(family, f);
  console.log(`${stage.padEnd(12)} ${file} ${family.padEnd(9)} rank ${rank} best member index ${best.toFixed(3)} tried ${triedTrue.map((t) => t.index.toFixed(3)).join(',')} | ${transforms[file]!.steps.slice(1).join('; ')}`);
}
console.log(`\nthreshold ${threshold.toFixed(3)}, verified lineages ${verifiedLineages}, representatives ${representatives}, min votes ${minVotes}, candidates ${candidateLimit}, tables ${candidateIndex.tables} × ${candidateIndex.bitsPerKey} bits, ${candidateIndex.indexedFeatures} indexed features; ${index.verifiedPairs} verifications for ${files.length} images; wrong joins ${wrong}`);
let truePairs = 0;
let found = 0;
let falsePairs = 0;
for (let i = 0; i < files.length; i++) {
  for (let j = i + 1; j < files.length; j++) {
    const same = truth[files[i]!] === truth[files[j]!];
    const together = index.lineageOf(files[i]!) === index.lineageOf(files[j]!);
    if (same) truePairs++;
    if (same && together) found++;
    if (!same && together) falsePairs++;
  }
}
console.log(`pairwise recall ${(found / truePairs).toFixed(4)} (${found}/${truePairs}), false-merge pairs ${falsePairs}`);
console.log(`lost at: ${[...stages].map(([s, n]) => `${s} ${n}`).join(', ')}`);
for (const [family, m] of byFamily) console.log(`  ${family}: ${[...m].map(([s, n]) => `${s} ${n}`).join(', ')}`);

if (orders > 0) {
  const truthOf = files.map((f) => truth[f]!);
  const label = (k: number) => `${files[k]}(${truthOf[k]})`;
  const options = { verifiedLineages, representatives, minVotes, candidates: candidateLimit, candidateIndex };
  const replays = replayOrders(orders, all, truthOf, pair, options);
  console.log(`\nrandom arrival orders (LineageIndex.add one image at a time, as the catalogue assigns):`);
  for (const { order, score, wrongJoins } of replays) {
    console.log(`order ${order + 1}: pairwise P ${score.precision.toFixed(4)} R ${score.recall.toFixed(4)}, false-merge pairs ${score.falseMergePairs}, wrong joins ${wrongJoins.length}`);
    for (const w of wrongJoins) console.log(describeWrongJoin(w, label, all));
  }
  console.log(summariseOrders(replays));
}

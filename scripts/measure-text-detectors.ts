/**
 * `npm run measure:text-detectors -- <folder> <det.onnx>...`: PaddleOCR DB text detectors
 * side by side, as peers in one run, to judge a detector before it is integrated (issue 15: what the
 * network proposes caps the text stage's recall). Each file must have PaddleOCR's det interface (one
 * NCHW float input, BGR normalised as NormalizeImage; one probability map at input resolution out), as
 * every PP-OCR det export from v2 to v5 has. Each runs in fp32 at artmeta's candidate stage
 * (ARTMETA_CANDIDATE_OPTIONS: long side 736, DB 0.3 / box 0.5, boxes tightened to ink, joined into
 * lines) and is scored by:
 *   - found by any line: required truth lines some candidate line matches at IoU ≥ 0.5, i.e. what a
 *     perfect verifier could keep — the network's ceiling; overall and per script;
 *   - candidate lines per image (what the verifier then has to reject);
 *   - the network's CPU time per image (one intra-op thread, NetworkSession's options; CPU time, not
 *     wall clock, since the host is shared), median, and its ratio to the first file's.
 * The union of all files' candidates is scored too (a ceiling for running two networks).
 * Folders: a synth:text folder (images/ and truth.json with scripts) or a folder laid out as the
 * validation set's text folders (images, truth.json, provenance.json) — choose on synth, and look at
 * the validation set only to confirm what synth chose.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Box, iou, scaleBox } from '../analysis/geometry/box.ts';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { NetworkSession } from '../analysis/onnx/network-session.ts';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { ARTMETA_CANDIDATE_OPTIONS, linesOfMap } from '../analysis/text/text-line-candidates.ts';
import { type ProbabilityMap, textNetworkInput } from '../analysis/text/text-detector-network.ts';
import { scriptOf, type TruthLine } from '../test/eval/text-eval.ts';

const [folder, ...files] = process.argv.slice(2);
if (!folder || files.length === 0) throw new Error('usage: npm run measure:text-detectors -- <folder> <det.onnx>...');
const synth = existsSync(join(folder, 'images'));
const imageDir = synth ? join(folder, 'images') : folder;

interface Tally {
  found: number;
  required: number;
}

/** What one detector (or the union of all) proposes on the set. */
class Proposals {
  readonly byScript = new Map<string, Tally>();
  candidates = 0;
  constructor(readonly name: string) {}
  count(script: string, found: boolean): void {
    const t = this.byScript.get(script) ?? { found: 0, required: 0 };
    t.required++;
    if (found) t.found++;
    this.byScript.set(script, t);
  }
}

class Peer extends Proposals {
  readonly session: NetworkSession;
  readonly cpuMs: number[] = [];
  constructor(name: string, file: string) {
    super(name);
    this.session = new NetworkSession(file, name);
  }
}

/** The network's map of the image as artmeta's stage feeds it, and the CPU time of the run. */
async function mapOf(peer: Peer, input: ReturnType<typeof textNetworkInput>, image: { width: number; height: number }): Promise<ProbabilityMap> {
  const session = await peer.session.load();
  const before = process.cpuUsage();
  const result = await peer.session.run({ [session.inputNames[0]!]: input });
  const used = process.cpuUsage(before);
  peer.cpuMs.push((used.user + used.system) / 1000);
  const output = result[session.outputNames[0]!]!;
  const [, , height, width] = output.dims as number[];
  return { data: output.data as Float32Array, width: width!, height: height!, scaleX: image.width / width!, scaleY: image.height / height! };
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

await loadOpenCV();
const peers = files.map((f) => new Peer(basename(f), f));
const union = new Proposals('union of all');
const truth = JSON.parse(readFileSync(join(folder, 'truth.json'), 'utf8')) as Record<string, Array<TruthLine & { script?: string }>>;
const provenance = synth ? {} : (JSON.parse(readFileSync(join(folder, 'provenance.json'), 'utf8')) as Record<string, string>);
const names = Object.keys(truth).sort();
// A first run per network outside the timing: its session is created and its kernels warmed up.
const first = await decodeImage(join(imageDir, names[0]!));
const warmInput = textNetworkInput(first.pixels, ARTMETA_CANDIDATE_OPTIONS.limitSide, ARTMETA_CANDIDATE_OPTIONS.minLongSide);
for (const peer of peers) await peer.session.run({ [(await peer.session.load()).inputNames[0]!]: warmInput });

for (const name of names) {
  const decoded = await decodeImage(join(imageDir, name));
  const image = decoded.pixels;
  const input = textNetworkInput(image, ARTMETA_CANDIDATE_OPTIONS.limitSide, ARTMETA_CANDIDATE_OPTIONS.minLongSide);
  const required = truth[name]!.filter((t) => !t.ignore);
  const all: Box[] = [];
  for (const peer of peers) {
    const lines = linesOfMap(image, await mapOf(peer, input, image), ARTMETA_CANDIDATE_OPTIONS).map((l) => scaleBox(l, decoded.scale));
    peer.candidates += lines.length;
    all.push(...lines);
    for (const t of required) peer.count(t.script ?? scriptOf(provenance[name]), lines.some((l) => iou(l, t) >= 0.5));
  }
  union.candidates += all.length;
  for (const t of required) union.count(t.script ?? scriptOf(provenance[name]), all.some((l) => iou(l, t) >= 0.5));
}

const scripts = [...new Set(peers.flatMap((p) => [...p.byScript.keys()]))].sort();
const share = (t: Tally | undefined) => (t && t.required ? (t.found / t.required).toFixed(3) : '-');
const total = (p: Proposals): Tally => [...p.byScript.values()].reduce((s, t) => ({ found: s.found + t.found, required: s.required + t.required }), { found: 0, required: 0 });
const baseCpu = median(peers[0]!.cpuMs);
const rows = [...peers, union].map((p) => {
  const t = total(p);
  const cpu = p instanceof Peer ? `${median(p.cpuMs).toFixed(1)} ms (${(median(p.cpuMs) / baseCpu).toFixed(2)}×)` : '';
  return [
    `  ${p.name}`,
    `    found by any line ${share(t)} (${t.found}/${t.required}); candidate lines per image ${(p.candidates / names.length).toFixed(2)}${cpu ? `; network CPU per image, median ${cpu}` : ''}`,
    `    per script: ${scripts.map((s) => `${s} ${share(p.byScript.get(s))}`).join(', ')}`,
  ].join('\n');
});
process.stdout.write(`${folder}: ${names.length} images, fp32, long side ${ARTMETA_CANDIDATE_OPTIONS.minLongSide}-${ARTMETA_CANDIDATE_OPTIONS.limitSide}, DB box threshold ${ARTMETA_CANDIDATE_OPTIONS.db.boxThreshold}\n${rows.join('\n')}\n`);

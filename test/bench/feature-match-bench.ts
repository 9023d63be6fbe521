/**
 * `npm run bench:feature-match -- ../shared/data --baseline ../main`: CPU per verified pair of
 * matchFeatures and of similarity (the four metrics and the index) in this checkout against another
 * checkout's (the baseline: e.g. main's worktree), in one process. Pairs are real: the signatures of
 * <data>/lineages and lineages-hard, each image paired with the candidates the candidate index returns
 * for it among the images before it (as the lineage index looks them up before verifying). Rounds
 * alternate which side goes first, so load from other processes hits both alike; each side's results
 * are compared, and any difference is reported.
 */
import { readdirSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CandidateIndex } from '../../analysis/lineage/candidate-index.ts';
import { matchFeatures } from '../../analysis/lineage/feature-match.ts';
import type { ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { LINEAGE_INDEX_DEFAULTS } from '../../analysis/lineage/lineage-clustering.ts';
import { signaturesOfFiles } from '../../analysis/lineage/signature-files.ts';
import { similarity } from '../../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';

const dataDir = process.argv[2] ?? '../shared/data';
const baselineFlag = process.argv.indexOf('--baseline');
if (baselineFlag < 0 || !process.argv[baselineFlag + 1]) throw new Error('usage: bench:feature-match -- DATA --baseline CHECKOUT');
const baselineDir = resolve(process.argv[baselineFlag + 1]!);
const ROUNDS = 6;

type Pair = [ImageSignature, ImageSignature];
type Metric = (a: ImageSignature, b: ImageSignature) => unknown;
interface Side {
  name: string;
  matchFeatures: Metric;
  similarity: Metric;
}

const baselineModule = (path: string) => import(pathToFileURL(join(baselineDir, path)).href);
const sides: Side[] = [
  { name: 'baseline', matchFeatures: (await baselineModule('analysis/lineage/feature-match.ts')).matchFeatures, similarity: (await baselineModule('analysis/lineage/similarity-index.ts')).similarity },
  { name: 'this checkout', matchFeatures, similarity },
];

// The baseline's modules are its own instances, OpenCV runtime included.
await loadOpenCV();
await (await baselineModule('analysis/opencv/runtime.ts')).loadOpenCV();

async function candidatePairs(folder: string): Promise<Pair[]> {
  const dir = join(dataDir, folder);
  const signatures = await signaturesOfFiles(dir, readdirSync(dir).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort());
  const index = new CandidateIndex();
  const pairs: Pair[] = [];
  for (const signature of signatures) {
    for (const candidate of index.query(signature, LINEAGE_INDEX_DEFAULTS.candidates, LINEAGE_INDEX_DEFAULTS.minVotes)) pairs.push([signature, signatures[candidate.slot]!]);
    index.add(signature);
  }
  return pairs;
}

/** CPU microseconds per pair of one pass of `run` over `pairs`, and its results. */
function timed(pairs: Pair[], run: Metric): { micros: number; results: unknown[] } {
  const start = process.cpuUsage();
  const results = pairs.map(([a, b]) => run(a, b));
  const used = process.cpuUsage(start);
  return { micros: (used.user + used.system) / pairs.length, results };
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

for (const folder of ['lineages', 'lineages-hard']) {
  const pairs = await candidatePairs(folder);
  for (const metric of ['matchFeatures', 'similarity'] as const) {
    const micros: number[][] = sides.map(() => []);
    const outputs: unknown[][] = sides.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const s of order) {
        const { micros: m, results } = timed(pairs, sides[s]![metric]);
        micros[s]!.push(m);
        outputs[s] = results;
      }
    }
    const differing = pairs.filter((_, k) => !isDeepStrictEqual(outputs[0]![k], outputs[1]![k])).length;
    const [before, after] = micros.map(median) as [number, number];
    console.log(
      `${folder}/ ${pairs.length} candidate pairs, ${metric}: baseline ${before.toFixed(0)} µs CPU per pair, this checkout ${after.toFixed(0)} µs ` +
        `(×${(before / after).toFixed(2)} faster; median of ${ROUNDS} interleaved rounds), ${differing} pairs with a different result`,
    );
  }
}

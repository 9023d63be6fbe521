/**
 * `npm run bench -- ../shared/data`: speed of `analyze` on the real photos, in one run, beside
 * sharp's decode of the same images, smartcrop-sharp, and (when Debian's python3-opencv is
 * installed) native OpenCV running the same frontal-face cascade.
 */
import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import sharp from 'sharp';
import smartcrop from 'smartcrop-sharp';
import { findFocalPoint } from '../../analysis/focal-point.ts';
import { analyzeImage } from '../../analysis/analyze-image.ts';
import { analyzeWithSignature } from '../../analysis/analyze-with-signature.ts';
import { decodeImage, DEFAULT_DECODE_OPTIONS } from '../../analysis/image/decode-image.ts';
import { edgeFocusIn } from '../../analysis/focus/edge-focus.ts';
import { energyMap } from '../../analysis/focus/energy-map.ts';
import { detectPeople } from '../../analysis/people/detect-people.ts';
import { DEFAULT_BODY_DETECTION_OPTIONS, detectFullBodiesAround, detectUpperBodyAround } from '../../analysis/people/body-detector.ts';
import { detectFaces } from '../../analysis/people/face-detector.ts';
import { toGrayMat } from '../../analysis/opencv/gray-mat.ts';
import { findNetworkFaces, type NetworkFace } from '../../analysis/people/face-network.ts';
import { detectText } from '../../analysis/text/detect-text.ts';
import { ARTMETA_CANDIDATE_OPTIONS, PADDLE_CANDIDATE_OPTIONS, textLineCandidates } from '../../analysis/text/text-line-candidates.ts';
import { textProbabilityMap } from '../../analysis/text/text-detector-network.ts';
import { computeSignature } from '../../analysis/lineage/image-signature.ts';
import { cascade, CASCADE_FILES, type CascadeName } from '../../analysis/opencv/cascade-classifiers.ts';
import { withMats } from '../../analysis/opencv/mat-scope.ts';
import { cv, loadOpenCV } from '../../analysis/opencv/runtime.ts';
import type { RgbImage } from '../../analysis/image/rgb-image.ts';
import { AnalysisPool } from '../../service/threads/analysis-pool.ts';
import { rgbMat } from '../../analysis/opencv/rgb-mat.ts';

const dataDir = process.argv[2] ?? '../shared/data';
const photosDir = join(dataDir, 'photos');
const files = (await readdir(photosDir)).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(photosDir, f));
await loadOpenCV();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rows: [string, number][] = [];
async function timeEach<T>(label: string, work: (file: string) => T | Promise<T>): Promise<number> {
  await work(files[0]!); // warm-up: cascades load, JIT settles
  const times: number[] = [];
  for (const file of files) {
    const start = performance.now();
    await work(file);
    times.push(performance.now() - start);
  }
  const m = median(times);
  rows.push([label, m]);
  return m;
}

const working = new Map<string, RgbImage>();
for (const file of files) working.set(file, (await decodeImage(file)).pixels);

/** The reference cascade setting: 640 px long side, scale 1.1, minNeighbors 5, equalised gray. */
function referenceCascade(name: CascadeName, image: RgbImage): void {
  const lib = cv();
  withMats((scope) => {
    const rgb = rgbMat(scope, image);
    const scale = Math.min(1, 640 / Math.max(image.width, image.height));
    const small = scope.track(new lib.Mat());
    lib.resize(rgb, small, new lib.Size(Math.round(image.width * scale), Math.round(image.height * scale)), 0, 0, lib.INTER_AREA);
    const gray = scope.track(new lib.Mat());
    lib.cvtColor(small, gray, lib.COLOR_RGB2GRAY);
    lib.equalizeHist(gray, gray);
    const found = scope.track(new lib.RectVector());
    cascade(name).detectMultiScale(gray, found, 1.1, 5, 0, new lib.Size(0, 0), new lib.Size(0, 0));
  });
}

const decodeMs = await timeEach('sharp decode + resize to working size (1024)', (f) => decodeImage(f));
await timeEach('sharp decode only (full size, raw)', (f) => sharp(f).raw().toBuffer());
await timeEach('stage: face network (whole image + corner tiles where stirred)', (f) => findNetworkFaces(working.get(f)!));
await timeEach('stage: face network, all 4 tiles (before: tileProposalScore 0)', (f) => findNetworkFaces(working.get(f)!, { tileProposalScore: 0 }));
const networkFaces = new Map<string, NetworkFace[]>();
for (const file of files) networkFaces.set(file, await findNetworkFaces(working.get(file)!));
await timeEach('stage: people (cascades + checks of every face)', (f) => detectPeople(working.get(f)!, {}, networkFaces.get(f)));
// Sub-stages of people, timed in turn on each photo (so they share the machine's load); most photos
// have no network face to check, so means say more than medians.
const subStages = { network: 0, people: 0, checks: 0, bodies: 0 };
for (const file of files) {
  const image = working.get(file)!;
  let start = performance.now();
  await findNetworkFaces(image);
  subStages.network += performance.now() - start;
  start = performance.now();
  detectPeople(image, {}, networkFaces.get(file));
  subStages.people += performance.now() - start;
  withMats((scope) => {
    const gray = toGrayMat(scope, image);
    start = performance.now();
    const faces = detectFaces(scope, gray, image, undefined, networkFaces.get(file));
    subStages.checks += performance.now() - start;
    start = performance.now();
    for (const face of faces) {
      detectFullBodiesAround(scope, gray, face.box);
      detectUpperBodyAround(scope, gray, face.box, DEFAULT_BODY_DETECTION_OPTIONS.minNeighbors);
    }
    subStages.bodies += performance.now() - start;
  });
}
const [networkMean, peopleMean, checksMean, bodiesMean] = [subStages.network, subStages.people, subStages.checks, subStages.bodies].map((ms) => ms / files.length) as [number, number, number, number];

await timeEach('stage: people stage whole (face network + cascades + checks)', async (f) => detectPeople(working.get(f)!, {}, await findNetworkFaces(working.get(f)!)));
await timeEach('stage: people, cascades alone (full-frame Haar scans, no network)', (f) => detectPeople(working.get(f)!));
await timeEach('stage: edge focus', (f) => edgeFocusIn(energyMap(working.get(f)!)));
const textMs = await timeEach('stage: text detection', (f) => detectText(working.get(f)!));
const paddleMs = await timeEach('peer: PaddleOCR det alone (960, DB post-processing, lines)', (f) => textLineCandidates(working.get(f)!, PADDLE_CANDIDATE_OPTIONS));
const limitSide = ARTMETA_CANDIDATE_OPTIONS.limitSide;
const fp32NetworkMs = await timeEach(`text network alone, fp32 (${limitSide})`, (f) => textProbabilityMap(working.get(f)!, limitSide, 'fp32'));
const int8NetworkMs = await timeEach(`text network alone, int8 (${limitSide}, the text stage's)`, (f) => textProbabilityMap(working.get(f)!, limitSide, 'int8'));
await timeEach('stage: lineage signature (computeSignature, decoded)', (f) => computeSignature(working.get(f)!));
await timeEach('focal point (network + people + edge fallback), decoded', async (f) =>
  findFocalPoint(working.get(f)!, {}, await findNetworkFaces(working.get(f)!)),
);
const analyzeMs = await timeEach('analyze, focal only (decode + focal point + crops)', (f) => analyzeImage(f, { text: false }));
const withTextMs = await timeEach('analyze with text (decode + focal point + crops + text)', (f) => analyzeImage(f));
const wholeMs = await timeEach('whole analysis (analyze with text + lineage signature)', (f) => analyzeWithSignature(f));
const smartcropMs = await timeEach('peer: smartcrop-sharp (1:1 crop)', async (f) => {
  const meta = await sharp(f).metadata();
  const side = Math.min(meta.width!, meta.height!);
  return smartcrop.crop(f, { width: side, height: side });
});
for (const name of Object.keys(CASCADE_FILES) as CascadeName[]) {
  await timeEach(`cascade ${name} alone (640 px, 1.1, 5)`, (f) => referenceCascade(name, working.get(f)!));
}

const pool = new AnalysisPool();
await Promise.all(files.slice(0, pool.size).map((f) => pool.analyzeWithSignature(f)));
/** Images per second over every photo, all threads busy. */
async function throughput(work: (file: string) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await Promise.all(files.map(work));
  return files.length / ((performance.now() - start) / 1000);
}
const imagesPerSecond = await throughput((f) => pool.analyze(f));
const wholePerSecond = await throughput((f) => pool.analyzeWithSignature(f));
await pool.close();

console.log(`analyze bench: ${files.length} photos from ${photosDir}, median ms per image`);
for (const [label, ms] of rows) console.log(`  ${label.padEnd(58)} ${ms.toFixed(1).padStart(8)} ms`);
console.log(`  ${'analyze with text, all cores'.padEnd(58)} ${imagesPerSecond.toFixed(1).padStart(8)} images/s (${pool.size} threads)`);
console.log(`  ${'whole analysis, all cores'.padEnd(58)} ${wholePerSecond.toFixed(1).padStart(8)} images/s (${pool.size} threads)`);
console.log(`whole analysis ${wholeMs.toFixed(1)} ms median on one core (target ≤ 150 ms → ${wholeMs <= 150 ? 'met' : 'NOT met'}); ${(wholeMs / decodeMs).toFixed(1)}x sharp decode+resize`);
console.log(`ratios: analyze / sharp decode+resize ${(analyzeMs / decodeMs).toFixed(1)}x; analyze / smartcrop-sharp ${(analyzeMs / smartcropMs).toFixed(2)}x`);
console.log(
  `people sub-stages, mean ms per image, in turn on each photo: face network ${networkMean.toFixed(1)}; people ${peopleMean.toFixed(1)} = ` +
    `face checks ${checksMean.toFixed(1)} (${((100 * checksMean) / peopleMean).toFixed(0)}%) + bodies around faces ${bodiesMean.toFixed(1)} ` +
    `(${((100 * bodiesMean) / peopleMean).toFixed(0)}%) + the rest (grey, merge, depth, sharpness) ${(peopleMean - checksMean - bodiesMean).toFixed(1)}`,
);
console.log(`text detection adds ${((withTextMs / analyzeMs - 1) * 100).toFixed(0)}% to analyze's median (its budget is the text stage's own ≤ 45 ms, next line)`);
console.log(`text stage ${textMs.toFixed(1)} ms (target ≤ 45) = ${((100 * textMs) / withTextMs).toFixed(0)}% of analyze with text; PaddleOCR det alone ${paddleMs.toFixed(1)} ms (text stage / peer ${(textMs / paddleMs).toFixed(2)}x)`);
console.log(`text network int8 / fp32 at ${limitSide}: ${(int8NetworkMs / fp32NetworkMs).toFixed(2)}x (${int8NetworkMs.toFixed(1)} / ${fp32NetworkMs.toFixed(1)} ms)`);

// Native and WASM take turns, round after round, so both see the same machine load.
const nativeScript = fileURLToPath(new URL('./native-cascade.py', import.meta.url));
const frontalModel = fileURLToPath(new URL(`../../models/${CASCADE_FILES.frontalFace}`, import.meta.url));
const ratios: number[] = [];
for (let round = 0; round < 3; round++) {
  let native: { version: string; msPerImage: number[] };
  try {
    const output = execFileSync('/usr/bin/python3', [nativeScript, frontalModel, ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    native = JSON.parse(output) as typeof native;
  } catch {
    console.log('native OpenCV: not measured (apt-get install python3-opencv to compare)');
    break;
  }
  const wasm: number[] = [];
  for (const file of files) {
    const start = performance.now();
    referenceCascade('frontalFace', working.get(file)!);
    wasm.push(performance.now() - start);
  }
  const nativeMs = median(native.msPerImage);
  ratios.push(median(wasm) / nativeMs);
  console.log(`round ${round + 1}: frontal face alone (640 px, 1.1, 5): native OpenCV ${native.version} (1 thread) ${nativeMs.toFixed(1)} ms, opencv.js ${median(wasm).toFixed(1)} ms`);
}
if (ratios.length > 0) console.log(`opencv.js / native OpenCV, frontal face cascade: ${median(ratios).toFixed(2)}x (median of ${ratios.length} alternating rounds)`);
console.log(`decode limits: ${DEFAULT_DECODE_OPTIONS.maxPixels} pixels, ${DEFAULT_DECODE_OPTIONS.maxInputBytes} bytes`);

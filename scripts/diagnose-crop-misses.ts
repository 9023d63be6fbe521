/**
 * Why artmeta's crops miss the eval:crop subject: for every faces/ photo a crop misses (under
 * HIT_COVERAGE of the largest truth face inside it), the truth faces by area, every face the network
 * proposed (its box side, the side its key points give, score, roll, profile shape, what its checks
 * found and whether they kept it), the people found with their face sizes and interest scores (the subject marked), and per
 * canvas the crop's span and how much of each truth face it holds. Then the focus/ misses by name.
 * It tells a chosen person apart from a box size error, a placement or a lost face. Look, never fit:
 * on the validation set this only reads.
 *
 *   npm run diagnose:crop -- [data dir] [file name part]
 */
import { analyzeDecoded } from '../analysis/analyze-image.ts';
import { parseCanvasList } from '../analysis/crop/canvas-spec.ts';
import { area, contains, coverage, scaleBox, type Box } from '../analysis/geometry/box.ts';
import { decodeImage } from '../analysis/image/decode-image.ts';
import { toGrayMat } from '../analysis/opencv/gray-mat.ts';
import { withMats } from '../analysis/opencv/mat-scope.ts';
import { loadOpenCV } from '../analysis/opencv/runtime.ts';
import { networkFaceSide } from '../analysis/people/face-box.ts';
import { checkNetworkFace, DEFAULT_FACE_DETECTION_OPTIONS, isConfidentProfile, isNetworkFace, uprightTilt } from '../analysis/people/face-detector.ts';
import { findNetworkFaces, type NetworkFace } from '../analysis/people/face-network.ts';
import { meanChroma } from '../analysis/people/skin-tone.ts';
import { HIT_COVERAGE, loadCases, RATIOS } from '../test/eval/crop-eval.ts';

const canvases = parseCanvasList(RATIOS);

async function main(): Promise<void> {
  const dataDir = process.argv[2] ?? '../shared/data';
  const only = process.argv[3];
  const focusMisses: string[] = [];
  await loadOpenCV();
  for (const c of await loadCases(dataDir)) {
    if (only && !c.file.includes(only)) continue;
    const decoded = await decodeImage(c.file);
    const networkFaces = await findNetworkFaces(decoded.pixels);
    const analysis = analyzeDecoded(decoded, canvases, { text: false }, networkFaces);
    const misses = RATIOS.filter((r) => coverage(c.subject, analysis.crops[r]!) < HIT_COVERAGE);
    if (misses.length === 0 && !only) continue;
    if (c.set === 'focus') {
      focusMisses.push(`${c.file.split('/').at(-1)} (${misses.join(', ')})`);
      continue;
    }
    const faces = c.faces!;
    console.log(`${c.file.split('/').at(-1)} ${analysis.width}x${analysis.height} ${analysis.method}: misses ${misses.join(', ') || 'none'}`);
    console.log(`  truth faces, largest (the subject) first: ${faces.map((f) => `${boxText(f)} (${area(f)})`).join(' | ')}`);
    for (const line of networkLines(decoded.pixels, networkFaces, decoded.scale)) console.log(`  network ${line}`);
    for (const p of analysis.people) {
      const subject = p.face && contains(p.face, analysis.focalPoint) ? '  <- subject' : '';
      const face = p.face ? `face ${boxText(p.face)} (${Math.round(area(p.face))})` : 'no face';
      console.log(`  person ${face}, interest ${p.score}${subject}`);
    }
    for (const r of RATIOS) {
      const crop = analysis.crops[r]!;
      const held = faces.map((f) => coverage(f, crop).toFixed(2)).join(' ');
      console.log(`  ${r.padEnd(4)} crop x ${crop.x}-${crop.x + crop.w} y ${crop.y}-${crop.y + crop.h} (${crop.w}x${crop.h}): truth faces inside ${held}`);
    }
  }
  if (focusMisses.length > 0) console.log(`focus/ misses: ${focusMisses.join(', ')}`);
}

/** Each network proposal in image px: box side, key-point side, score, roll, profile shape, checks, kept. */
function networkLines(pixels: Parameters<typeof findNetworkFaces>[0], faces: readonly NetworkFace[], scale: number): string[] {
  const colour = meanChroma(pixels) >= DEFAULT_FACE_DETECTION_OPTIONS.greyChroma;
  return withMats((scope) => {
    const gray = toGrayMat(scope, pixels);
    return faces.map((face) => {
      const check = checkNetworkFace(scope, gray, pixels, face, colour);
      const kept = face.score >= DEFAULT_FACE_DETECTION_OPTIONS.minNetworkScore && isNetworkFace(check);
      const { evidence: e } = check;
      const checks = `second cascade ${e.secondCascade ? 'yes' : 'no'}, re-scan ${e.rescanWindows}, profile ${e.profileWindows}, eyes at key points ${e.eyesAtKeyPoints}, skin ${e.skin?.toFixed(2) ?? 'grey'}`;
      const px = (v: number): number => Math.round(v * scale);
      return (
        `${boxText(scaleBox(face, scale))}: side ${px(face.w)}, by key points ${px(networkFaceSide(face))}, score ${face.score.toFixed(3)}, ` +
        `roll ${uprightTilt(face.keyPoints, face.w).toFixed(0)}°${isConfidentProfile(face) ? ', profile' : ''}; ${checks}: ${kept ? 'kept' : 'dropped'}`
      );
    });
  });
}

function boxText(b: Box): string {
  return `${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.w)}x${Math.round(b.h)}`;
}

await main();

/**
 * `npm run faces:roll`: how the face network's box and key-point spans change as a face rolls, on
 * photos outside ../shared/data (the packages `npm run negatives:collect` unpacks into
 * .scratch/face-negatives/packages: @vladmandic/face-api 1.7.15's demo sample3 and sample4,
 * opencv-doc's basketball1). Each upright face (|roll| ≤ 12°, score ≥ 0.8) is turned in the image
 * about its centre by -45°…45°, and the network is run again. Prints, per face, the ratios of the box
 * side, of the key-point spans and of networkFaceSide to the upright face's, and the medians
 * KEY_POINT_SIDE holds.
 */
import { join } from 'node:path';
import type * as OpenCV from '@techstark/opencv-js';
import { decodeImage } from '../analysis/image/decode-image.ts';
import type { RgbImage } from '../analysis/image/rgb-image.ts';
import { withMats } from '../analysis/opencv/mat-scope.ts';
import { rgbMat } from '../analysis/opencv/rgb-mat.ts';
import { cv, loadOpenCV } from '../analysis/opencv/runtime.ts';
import { networkFaceSide } from '../analysis/people/face-box.ts';
import { findNetworkFaces, type NetworkFace } from '../analysis/people/face-network.ts';

const PACKAGES = '.scratch/face-negatives/packages';
const PHOTOS = [
  'face-api/package/demo/sample3.jpg',
  'face-api/package/demo/sample4.jpg',
  'opencv-doc/usr/share/doc/opencv-doc/examples/data/basketball1.png',
];
const ROLLS = [-45, -35, -25, -15, -5, 0, 5, 15, 25, 35, 45];
const UPRIGHT = { maxRoll: 12, minScore: 0.8 };

interface Spans {
  side: number;
  earSpan: number;
  eyesToMouth: number;
  roll: number;
}

function spans(face: NetworkFace): Spans {
  const { rightEye, leftEye, mouth, rightEar, leftEar } = face.keyPoints;
  return {
    side: face.w,
    earSpan: Math.hypot(leftEar.x - rightEar.x, leftEar.y - rightEar.y),
    eyesToMouth: Math.hypot((leftEye.x + rightEye.x) / 2 - mouth.x, (leftEye.y + rightEye.y) / 2 - mouth.y),
    roll: (Math.atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x) * 180) / Math.PI,
  };
}

function turned(image: RgbImage, cx: number, cy: number, degrees: number): RgbImage {
  return withMats((scope) => {
    const transform = scope.track(cv().getRotationMatrix2D(new (cv().Point)(cx, cy), degrees, 1) as OpenCV.Mat);
    const out = scope.track(new (cv().Mat)());
    const size = new (cv().Size)(image.width, image.height);
    cv().warpAffine(rgbMat(scope, image), out, transform, size, cv().INTER_LINEAR, cv().BORDER_REFLECT, new (cv().Scalar)());
    return { data: new Uint8Array(out.data), width: image.width, height: image.height, channels: 3 };
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fixed = (v: number): string => v.toFixed(2);

await loadOpenCV();
const upright: Spans[] = [];
for (const photo of PHOTOS) {
  const { pixels } = await decodeImage(join(PACKAGES, photo));
  for (const face of await findNetworkFaces(pixels)) {
    const base = spans(face);
    if (face.score < UPRIGHT.minScore || Math.abs(base.roll) > UPRIGHT.maxRoll) continue;
    upright.push(base);
    const cx = face.x + face.w / 2;
    const cy = face.y + face.h / 2;
    console.log(`${photo.split('/').pop()} face at ${Math.round(cx)},${Math.round(cy)}, side ${Math.round(base.side)} px, roll ${base.roll.toFixed(1)}°`);
    for (const roll of ROLLS) {
      const found = await findNetworkFaces(turned(pixels, cx, cy, roll));
      const same = found.filter((f) => Math.hypot(f.x + f.w / 2 - cx, f.y + f.h / 2 - cy) < face.w / 2).sort((a, b) => b.score - a.score)[0];
      if (!same) {
        console.log(`  ${String(roll).padStart(4)}°: not found`);
        continue;
      }
      const s = spans(same);
      console.log(
        `  ${String(roll).padStart(4)}°: box side ${fixed(s.side / base.side)}  ear span ${fixed(s.earSpan / base.earSpan)}  eyes to mouth ${fixed(s.eyesToMouth / base.eyesToMouth)}  face side (networkFaceSide) ${fixed(networkFaceSide(same) / networkFaceSide(face))}`,
      );
    }
  }
}
const ear = upright.map((s) => s.earSpan / s.side);
const mouth = upright.map((s) => s.eyesToMouth / s.side);
console.log(`${upright.length} upright faces: ear span / box side median ${ear.length ? median(ear).toFixed(3) : '-'} (${Math.min(...ear).toFixed(3)}-${Math.max(...ear).toFixed(3)}), eyes to mouth / box side median ${mouth.length ? median(mouth).toFixed(3) : '-'} (${Math.min(...mouth).toFixed(3)}-${Math.max(...mouth).toFixed(3)})`);

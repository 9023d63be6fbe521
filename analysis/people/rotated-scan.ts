import type { Point } from '../geometry/box.ts';
import type { CascadeName } from '../opencv/cascade-classifiers.ts';
import type { MatScope } from '../opencv/mat-scope.ts';
import { cv } from '../opencv/runtime.ts';
import { type CascadeScanOptions, scanCascade } from './cascade-scan.ts';
import type { GrayScanImage } from './gray-scan-image.ts';

/** A hit of a cascade run on a rotated copy of the image, mapped back to working px. */
export interface RotatedHit {
  /** Centre of the window in the (unrotated) working image. */
  centre: Point;
  /** Window side, working px. */
  side: number;
  neighbors: number;
}

/**
 * Runs `name` on a copy of the scan image turned by `angle` degrees (OpenCV's sense: positive is
 * counter-clockwise on screen) on a canvas large enough to hold all of it. Haar face cascades only
 * take faces within about ±15° of upright; a head tilted further is upright in a copy turned by its
 * tilt. Outside the picture the canvas is flat grey, which every cascade rejects at once.
 */
export function scanRotated(
  scope: MatScope,
  name: CascadeName,
  scan: GrayScanImage,
  angle: number,
  options: CascadeScanOptions,
): RotatedHit[] {
  const { mat, scale } = scan;
  const rad = (angle * Math.PI) / 180;
  const cos = Math.abs(Math.cos(rad));
  const sin = Math.abs(Math.sin(rad));
  const width = Math.ceil(mat.cols * cos + mat.rows * sin);
  const height = Math.ceil(mat.cols * sin + mat.rows * cos);
  const rotation = scope.track(cv().getRotationMatrix2D(new (cv().Point)(mat.cols / 2, mat.rows / 2), angle, 1));
  const tx = (width - mat.cols) / 2;
  const ty = (height - mat.rows) / 2;
  rotation.doublePtr(0, 2)[0] = rotation.doubleAt(0, 2) + tx;
  rotation.doublePtr(1, 2)[0] = rotation.doubleAt(1, 2) + ty;
  const turned = scope.track(new (cv().Mat)());
  cv().warpAffine(mat, turned, rotation, new (cv().Size)(width, height), cv().INTER_LINEAR, cv().BORDER_CONSTANT, new (cv().Scalar)(128));
  // Inverse of [R | t]: p = Rᵀ (p' − t).
  const r00 = rotation.doubleAt(0, 0);
  const r01 = rotation.doubleAt(0, 1);
  const r10 = rotation.doubleAt(1, 0);
  const r11 = rotation.doubleAt(1, 1);
  const t0 = rotation.doubleAt(0, 2);
  const t1 = rotation.doubleAt(1, 2);
  return scanCascade(scope, name, turned, options).map((hit) => {
    const u = hit.box.x + hit.box.w / 2 - t0;
    const v = hit.box.y + hit.box.h / 2 - t1;
    return {
      centre: { x: (r00 * u + r10 * v) * scale, y: (r01 * u + r11 * v) * scale },
      side: hit.box.w * scale,
      neighbors: hit.neighbors,
    };
  });
}

import type { Box, Size } from '../../analysis/geometry/box.ts';

/**
 * The axis-aligned box around `b` after its image is turned by `degrees` (clockwise, as sharp's
 * `rotate` does) about its centre onto a canvas of size `after` (grown to hold the turned image).
 */
export function rotatedBox(b: Box, degrees: number, before: Size, after: Size): Box {
  const a = (degrees * Math.PI) / 180;
  const corners = [
    [b.x, b.y],
    [b.x + b.w, b.y],
    [b.x, b.y + b.h],
    [b.x + b.w, b.y + b.h],
  ].map(([x, y]) => {
    const dx = x! - before.width / 2;
    const dy = y! - before.height / 2;
    return [after.width / 2 + dx * Math.cos(a) - dy * Math.sin(a), after.height / 2 + dx * Math.sin(a) + dy * Math.cos(a)];
  });
  const xs = corners.map((c) => c[0]!);
  const ys = corners.map((c) => c[1]!);
  return { x: Math.min(...xs), y: Math.min(...ys), w: Math.max(...xs) - Math.min(...xs), h: Math.max(...ys) - Math.min(...ys) };
}

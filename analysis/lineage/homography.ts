/** 3×3 row-major projective transform. */
export type Homography = [number, number, number, number, number, number, number, number, number];

export function projectPoint(h: Homography, x: number, y: number): [number, number] {
  const w = h[6] * x + h[7] * y + h[8];
  return [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w];
}

/** Area of a simple polygon (shoelace), vertices in order. */
export function convexPolygonArea(polygon: Array<[number, number]>): number {
  let s = 0;
  for (let i = 0; i < polygon.length; i++) {
    const [x1, y1] = polygon[i]!;
    const [x2, y2] = polygon[(i + 1) % polygon.length]!;
    s += x1 * y2 - x2 * y1;
  }
  return Math.abs(s) / 2;
}

/** Area of a convex polygon's intersection with the rectangle [0,w]×[0,h] (Sutherland–Hodgman clipping). */
export function quadOverRectangle(polygon: Array<[number, number]>, w: number, h: number): number {
  let poly = polygon;
  const edges: Array<(p: [number, number]) => number> = [(p) => p[0], (p) => w - p[0], (p) => p[1], (p) => h - p[1]];
  for (const inside of edges) {
    const next: Array<[number, number]> = [];
    for (let i = 0; i < poly.length; i++) {
      const p = poly[i]!;
      const q = poly[(i + 1) % poly.length]!;
      const dp = inside(p);
      const dq = inside(q);
      if (dp >= 0) next.push(p);
      if (dp >= 0 !== dq >= 0) {
        const t = dp / (dp - dq);
        next.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
      }
    }
    poly = next;
    if (poly.length === 0) return 0;
  }
  return convexPolygonArea(poly);
}

/** Determinant of a 3×3 row-major matrix (a homography's, or any other's): invertHomography's divisor. */
export function determinant(m: Homography): number {
  const [a, b, c, d, e, f, g, k, l] = m;
  return a * (e * l - f * k) - b * (d * l - f * g) + c * (d * k - e * g);
}

/** Inverse of a homography, or of any invertible 3×3 row-major matrix (adjugate / determinant). */
export function invertHomography(h: Homography): Homography {
  const [a, b, c, d, e, f, g, k, l] = h;
  const A = e * l - f * k;
  const B = -(d * l - f * g);
  const C = d * k - e * g;
  const det = determinant(h);
  return [
    A / det, -(b * l - c * k) / det, (b * f - c * e) / det,
    B / det, (a * l - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * k - b * g) / det, (a * e - b * d) / det,
  ];
}

/** h1 ∘ h2: apply h2 then h1. */
export function composeHomographies(h1: Homography, h2: Homography): Homography {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c]! += h1[r * 3 + k]! * h2[k * 3 + c]!;
  return out as Homography;
}

/** Scales x by sx and y by sy. */
export function scaling(sx: number, sy: number): Homography {
  return [sx, 0, 0, 0, sy, 0, 0, 0, 1];
}

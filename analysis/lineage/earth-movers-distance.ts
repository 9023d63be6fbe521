import type { ColorPalette } from './color-palette.ts';

/**
 * Earth Mover's Distance between two weighted point sets: the least average ground distance over which
 * mass must move to turn one into the other (Rubner et al.). opencv.js has no cv.EMD, so the
 * transportation problem is solved exactly here by successive shortest paths on the residual graph —
 * with palettes of ~8 colours the graph has ~16 nodes and each augmentation empties a supply or a demand.
 * Mass is moved up to the smaller of the two totals and the cost divided by it, as in Rubner's definition.
 */
export function earthMoversDistance(
  supply: ArrayLike<number>,
  demand: ArrayLike<number>,
  groundDistance: (i: number, j: number) => number,
): number {
  const m = supply.length;
  const n = demand.length;
  const cost = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cost[i * n + j] = groundDistance(i, j);
  const flow = new Float64Array(m * n);
  const left = Float64Array.from(supply);
  const need = Float64Array.from(demand);
  const target = Math.min(sum(left), sum(need));
  if (target <= 0) return 0;
  const epsilon = target * 1e-9;
  let moved = 0;
  let total = 0;
  while (target - moved > epsilon) {
    const path = cheapestPath(cost, flow, left, need, m, n, epsilon);
    if (!path) break;
    let amount = Math.min(left[path.source]!, need[path.sink]!, target - moved);
    for (const edge of path.edges) if (edge.backward) amount = Math.min(amount, flow[edge.i * n + edge.j]!);
    for (const edge of path.edges) {
      flow[edge.i * n + edge.j]! += edge.backward ? -amount : amount;
      total += edge.backward ? -amount * cost[edge.i * n + edge.j]! : amount * cost[edge.i * n + edge.j]!;
    }
    left[path.source]! -= amount;
    need[path.sink]! -= amount;
    moved += amount;
  }
  return total / moved;
}

interface PathEdge {
  i: number;
  j: number;
  /** Pushing back flow already sent from supply i to demand j. */
  backward: boolean;
}

/**
 * Bellman-Ford over the residual graph (supply nodes 0..m-1, demand nodes m..m+n-1), starting from every
 * supply with mass left; negative edges come from cancelling flow, so Dijkstra would not do.
 */
function cheapestPath(
  cost: Float64Array,
  flow: Float64Array,
  left: Float64Array,
  need: Float64Array,
  m: number,
  n: number,
  epsilon: number,
): { source: number; sink: number; edges: PathEdge[] } | undefined {
  const nodes = m + n;
  const dist = new Float64Array(nodes).fill(Infinity);
  const previous = new Int32Array(nodes).fill(-1);
  for (let i = 0; i < m; i++) if (left[i]! > epsilon) dist[i] = 0;
  for (let round = 0; round < nodes; round++) {
    let changed = false;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const c = cost[i * n + j]!;
        if (dist[i]! + c < dist[m + j]! - 1e-12) {
          dist[m + j] = dist[i]! + c;
          previous[m + j] = i;
          changed = true;
        }
        if (flow[i * n + j]! > epsilon && dist[m + j]! - c < dist[i]! - 1e-12) {
          dist[i] = dist[m + j]! - c;
          previous[i] = m + j;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  let sink = -1;
  for (let j = 0; j < n; j++) {
    if (need[j]! > epsilon && dist[m + j]! < Infinity && (sink < 0 || dist[m + j]! < dist[m + sink]!)) sink = j;
  }
  if (sink < 0) return undefined;
  const edges: PathEdge[] = [];
  let node = m + sink;
  while (previous[node]! >= 0) {
    const from = previous[node]!;
    if (node >= m) edges.push({ i: from, j: node - m, backward: false });
    else edges.push({ i: node, j: from - m, backward: true });
    node = from;
  }
  return { source: node, sink, edges };
}

function sum(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** EMD between two Lab palettes with the CIE76 colour difference (ΔE) as ground distance. */
export function paletteDistance(a: ColorPalette, b: ColorPalette): number {
  return earthMoversDistance(a.weights, b.weights, (i, j) => {
    const dl = a.lab[i * 3]! - b.lab[j * 3]!;
    const da = a.lab[i * 3 + 1]! - b.lab[j * 3 + 1]!;
    const db = a.lab[i * 3 + 2]! - b.lab[j * 3 + 2]!;
    return Math.sqrt(dl * dl + da * da + db * db);
  });
}

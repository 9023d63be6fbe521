import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../analysis/image/decode-image.ts';
import { computeSignature, type ImageSignature } from '../../analysis/lineage/image-signature.ts';
import { LineageIndex } from '../../analysis/lineage/lineage-clustering.ts';
import type { Homography } from '../../analysis/lineage/homography.ts';
import { applyModel, defaultModel, MAX_COHERENT_DRIFT, modelInputs, similarity } from '../../analysis/lineage/similarity-index.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';

const FIXTURES = ['lineage-china.jpg', 'lineage-china-crop-title.jpg', 'lineage-unrelated.jpg', 'lineage-chain-a.jpg', 'lineage-chain-b.jpg', 'lineage-chain-c.jpg'];
const HARD_FIXTURES = [
  'lineage-crop-16x9.jpg',
  'lineage-crop-2x3.jpg',
  'lineage-posterized.jpg',
  'lineage-black-and-white.jpg',
  'lineage-moment-first.jpg',
  'lineage-moment-later.jpg',
  'lineage-time-original.jpg',
  'lineage-time-later-small.jpg',
];

describe('LineageIndex', () => {
  const signatures = new Map<string, ImageSignature>();

  beforeAll(async () => {
    await loadOpenCV();
    for (const name of [...FIXTURES, ...HARD_FIXTURES]) {
      const image = await decodeImage(new URL(`../fixtures/${name}`, import.meta.url).pathname);
      signatures.set(name, computeSignature(image.pixels));
    }
  });

  const batch = (names: string[]) => names.map((id) => ({ id, signature: signatures.get(id)! }));

  it('groups the derivative with its original and keeps the unrelated image apart', () => {
    const assigned = new LineageIndex().cluster(batch(['lineage-china.jpg', 'lineage-china-crop-title.jpg', 'lineage-unrelated.jpg']));
    expect(assigned.get('lineage-china-crop-title.jpg')).toBe(assigned.get('lineage-china.jpg'));
    expect(assigned.get('lineage-unrelated.jpg')).not.toBe(assigned.get('lineage-china.jpg'));
  });

  it('gives the same ids on a re-run, whatever the input order', () => {
    const first = new LineageIndex().cluster(batch(FIXTURES));
    const second = new LineageIndex().cluster(batch([...FIXTURES].reverse()));
    expect(second).toEqual(first);
    expect([...first.values()].every((id) => /^lin-[0-9a-f]{16}$/.test(id))).toBe(true);
  });

  it('assigns images added later to existing lineages without renaming any', () => {
    const index = new LineageIndex();
    const before = index.cluster(batch(['lineage-china.jpg', 'lineage-unrelated.jpg']));
    const listed = index.list().map((l) => l.id);
    const joined = index.add('lineage-china-crop-title.jpg', signatures.get('lineage-china-crop-title.jpg')!);
    expect(joined).toBe(before.get('lineage-china.jpg'));
    expect(index.lineageOf('lineage-china.jpg')).toBe(before.get('lineage-china.jpg'));
    expect(index.lineageOf('lineage-unrelated.jpg')).toBe(before.get('lineage-unrelated.jpg'));
    expect(index.list().map((l) => l.id)).toEqual(listed);
    expect(index.list().find((l) => l.id === joined)!.members).toEqual(['lineage-china.jpg', 'lineage-china-crop-title.jpg']);
  });

  it('refuses an id added twice and stays usable: the refused image is neither looked up nor indexed', () => {
    const index = new LineageIndex();
    const china = index.add('lineage-china.jpg', signatures.get('lineage-china.jpg')!);
    expect(() => index.add('lineage-china.jpg', signatures.get('lineage-china-crop-title.jpg')!)).toThrow(/already in the index/);
    expect(index.add('lineage-china-crop-title.jpg', signatures.get('lineage-china-crop-title.jpg')!)).toBe(china);
    expect(index.list().map((l) => l.members)).toEqual([['lineage-china.jpg', 'lineage-china-crop-title.jpg']]);
  });

  it('does not merge the two ends of a chain of overlapping crops (real images)', () => {
    // a and c are the left and right halves of one photo (no overlap); b overlaps each by half.
    const a = signatures.get('lineage-chain-a.jpg')!;
    const b = signatures.get('lineage-chain-b.jpg')!;
    const c = signatures.get('lineage-chain-c.jpg')!;
    expect(similarity(a, b).features.inliers).toBeGreaterThan(10);
    expect(similarity(b, c).features.inliers).toBeGreaterThan(10);
    for (const order of [['lineage-chain-a.jpg', 'lineage-chain-b.jpg', 'lineage-chain-c.jpg'], ['lineage-chain-b.jpg', 'lineage-chain-a.jpg', 'lineage-chain-c.jpg']]) {
      const index = new LineageIndex();
      for (const id of order) index.add(id, signatures.get(id)!);
      expect(index.lineageOf('lineage-chain-a.jpg')).not.toBe(index.lineageOf('lineage-chain-c.jpg'));
    }
  });

  it('verifies every member against the root, so links A~B and B~C never merge A with C', () => {
    // Three frames of one width W at x = 0, W/2 and W of a wide scene: A~B and B~C overlap by half,
    // A and C not at all. The similarity is given, with the translation a real match would report.
    const [a, b, c] = ['lineage-chain-a.jpg', 'lineage-chain-b.jpg', 'lineage-chain-c.jpg'].map((n) => signatures.get(n)!) as [ImageSignature, ImageSignature, ImageSignature];
    const width = a.featureFrame.width;
    const position = new Map([[a.contentHash, 0], [b.contentHash, width / 2], [c.contentHash, width]]);
    const given = (x: ImageSignature, root: ImageSignature) => {
      const shift = position.get(root.contentHash)! - position.get(x.contentHash)!;
      if (Math.abs(shift) > width / 2) return { index: 0.01 };
      return { index: 0.95, homography: [1, 0, shift, 0, 1, 0, 0, 0, 1] as Homography };
    };
    for (const order of [[a, b, c], [b, a, c], [c, b, a], [b, c, a]]) {
      const index = new LineageIndex({ threshold: 0.5, similarity: given });
      const ids = order.map((s) => index.add(s.contentHash, s));
      expect(ids[1]).toBe(ids[0]);
      expect(index.lineageOf(a.contentHash)).not.toBe(index.lineageOf(c.contentHash));
    }
  });

  it('joins a 16:9 and a 2:3 crop of one photo that share only a core of about a quarter of it', () => {
    const assigned = new LineageIndex().cluster(batch(['lineage-crop-16x9.jpg', 'lineage-crop-2x3.jpg']));
    expect(assigned.get('lineage-crop-2x3.jpg')).toBe(assigned.get('lineage-crop-16x9.jpg'));
  });

  it('joins a posterized copy and a black-and-white crop of one photo', () => {
    const assigned = new LineageIndex().cluster(batch(['lineage-posterized.jpg', 'lineage-black-and-white.jpg']));
    expect(assigned.get('lineage-black-and-white.jpg')).toBe(assigned.get('lineage-posterized.jpg'));
  });

  it('keeps two frames of one scene a moment apart in two lineages', () => {
    const first = signatures.get('lineage-moment-first.jpg')!;
    const later = signatures.get('lineage-moment-later.jpg')!;
    // They do align (most of the scene is where it was) — what tells them apart is how they align.
    const report = similarity(first, later);
    expect(report.features.inliers).toBeGreaterThan(10);
    const assigned = new LineageIndex().cluster(batch(['lineage-moment-first.jpg', 'lineage-moment-later.jpg']));
    expect(assigned.get('lineage-moment-later.jpg')).not.toBe(assigned.get('lineage-moment-first.jpg'));
  });

  it('keeps a small copy of a moment later apart from the other frame in either arrival order', () => {
    const original = signatures.get('lineage-time-original.jpg')!;
    const later = signatures.get('lineage-time-later-small.jpg')!;
    // At 177 px the movement is about a pixel: no near misses, and the model alone passes the pair.
    const report = similarity(original, later);
    expect(applyModel(defaultModel(), modelInputs(report))).toBeGreaterThanOrEqual(defaultModel().threshold);
    expect(report.features.coherentDrift).toBeGreaterThan(MAX_COHERENT_DRIFT);
    for (const order of [
      ['original', 'later'],
      ['later', 'original'],
    ]) {
      const index = new LineageIndex();
      for (const id of order) index.add(id, id === 'original' ? original : later);
      expect(index.lineageOf('later')).not.toBe(index.lineageOf('original'));
    }
  });

  it('verifies a newcomer against a representative other than the root, and keeps the chain rule', () => {
    // Root R covers x 0..W; representative S (joined through R) covers x W/2..1.5W; T at x W..2W
    // overlaps only S. T verifies against S, but shares nothing of the core R and S share: it stays out.
    const [r, s, t] = ['lineage-chain-a.jpg', 'lineage-chain-b.jpg', 'lineage-chain-c.jpg'].map((n) => signatures.get(n)!) as [ImageSignature, ImageSignature, ImageSignature];
    const width = r.featureFrame.width;
    const position = new Map([[r.contentHash, 0], [s.contentHash, width / 2], [t.contentHash, width]]);
    const calls: string[] = [];
    const given = (x: ImageSignature, other: ImageSignature) => {
      calls.push(`${x.contentHash}>${other.contentHash}`);
      const shift = position.get(other.contentHash)! - position.get(x.contentHash)!;
      if (Math.abs(shift) > width / 2) return { index: 0.01 };
      return { index: 0.95, homography: [1, 0, shift, 0, 1, 0, 0, 0, 1] as Homography };
    };
    const index = new LineageIndex({ threshold: 0.5, similarity: given, minVotes: 0 });
    index.add('r', r);
    index.add('s', s);
    expect(index.list()[0]!.representatives).toEqual(['r', 's']);
    index.add('t', t);
    expect(calls).toContain(`${t.contentHash}>${s.contentHash}`);
    expect(index.lineageOf('t')).not.toBe(index.lineageOf('r'));
  });

  it('joins the candidate lineage it verifies best when the first one that passes is not sure', () => {
    // Z, a copy of X, gets every vote of X and half of Y's (Y's other descriptors inverted), so X's
    // lineage is verified first. Z passes X at 0.82, a pair the same scene a moment later can score,
    // and Y at 0.97: it joins Y's lineage (it took the first that passed, X, until JOIN_DECISION_VERSION 3).
    const x = { ...signatures.get('lineage-china.jpg')!, contentHash: 'x' };
    const descriptors = Uint8Array.from(x.features.descriptors, (v, i) => (Math.floor(i / 32) % 2 === 1 ? v ^ 0xff : v));
    const y = { ...x, contentHash: 'y', features: { ...x.features, descriptors } };
    const z = { ...x, contentHash: 'z' };
    const identity: Homography = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const scores: Record<string, number> = { 'y>x': 0.1, 'z>x': 0.82, 'z>y': 0.97 };
    const calls: string[] = [];
    const given = (a: ImageSignature, b: ImageSignature) => {
      const pair = `${a.contentHash}>${b.contentHash}`;
      calls.push(pair);
      return { index: scores[pair]!, homography: identity };
    };
    const index = new LineageIndex({ threshold: 0.8, similarity: given });
    index.add('x', x);
    index.add('y', y);
    index.add('z', z);
    expect(calls.slice(1)).toEqual(['z>x', 'z>y']);
    expect(index.lineageOf('y')).not.toBe(index.lineageOf('x'));
    expect(index.lineageOf('z')).toBe(index.lineageOf('y'));
  });
});

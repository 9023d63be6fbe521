import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../worker/image/decode-image.ts';
import { computeSignature, type ImageSignature } from '../../worker/lineage/image-signature.ts';
import { LineageIndex } from '../../worker/lineage/lineage-clustering.ts';
import { similarity } from '../../worker/lineage/similarity-index.ts';
import { loadOpenCV } from '../../worker/opencv/runtime.ts';

const FIXTURES = ['lineage-china.jpg', 'lineage-china-crop-title.jpg', 'lineage-unrelated.jpg', 'lineage-chain-a.jpg', 'lineage-chain-b.jpg', 'lineage-chain-c.jpg'];

describe('LineageIndex', () => {
  const signatures = new Map<string, ImageSignature>();

  beforeAll(async () => {
    await loadOpenCV();
    for (const name of FIXTURES) {
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
    // Similarity as given: B is close to both, A and C are far apart.
    const [a, b, c] = ['lineage-chain-a.jpg', 'lineage-chain-b.jpg', 'lineage-chain-c.jpg'].map((n) => signatures.get(n)!) as [ImageSignature, ImageSignature, ImageSignature];
    const linked = new Set([`${a.contentHash}|${b.contentHash}`, `${b.contentHash}|${c.contentHash}`]);
    const index = new LineageIndex({
      threshold: 0.5,
      similarity: (x, y) => ({ index: linked.has(`${x.contentHash}|${y.contentHash}`) || linked.has(`${y.contentHash}|${x.contentHash}`) ? 0.95 : 0.01 }),
    });
    const la = index.add('a', a);
    expect(index.add('b', b)).toBe(la);
    expect(index.add('c', c)).not.toBe(la);
  });
});

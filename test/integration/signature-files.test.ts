import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSignature } from '../../analysis/lineage/signature-codec.ts';
import { signaturesOfFiles } from '../../analysis/lineage/signature-files.ts';
import { loadOpenCV } from '../../analysis/opencv/runtime.ts';
import { AnalysisPool } from '../../service/threads/analysis-pool.ts';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

describe('signatures of the evaluations and the fitting', () => {
  const pool = new AnalysisPool({ threads: 1 });
  afterAll(() => pool.close());

  it('are the ones `artmeta cluster` compares: from its threads, through the codec', async () => {
    await loadOpenCV();
    const file = 'lineage-crop-2x3.jpg';
    const [evaluated] = await signaturesOfFiles(fixtures, [file]);
    expect(evaluated).toEqual(decodeSignature(await pool.signature(`${fixtures}${file}`)));
  }, 60_000);
});

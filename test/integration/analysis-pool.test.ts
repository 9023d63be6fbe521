import { describe, expect, it } from 'vitest';
import { AnalysisPool } from '../../service/threads/analysis-pool.ts';
import { fixture } from '../support/fixtures.ts';

describe('closing the analysis pool', () => {
  it('answers the analysis in hand, then lets each thread free its networks and exit', async () => {
    const pool = new AnalysisPool({ threads: 1 });
    const inHand = pool.analyze(fixture('text-title.jpg'));
    const waiting = pool.analyze(fixture('text-title.jpg'));
    // Closed while the thread is busy with the first analysis: that one is answered, the second refused.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = pool.close();
    await expect(waiting).rejects.toMatchObject({ code: 'INTERNAL' });
    const analysis = await inHand;
    expect(analysis.text?.regions.length).toBeGreaterThan(0);
    await closed;
  }, 60_000);
});

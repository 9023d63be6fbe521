import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AnalysisPool } from '../../service/threads/analysis-pool.ts';
import { fixture } from '../support/fixtures.ts';

const run = promisify(execFile);
const child = fileURLToPath(new URL('../support/pool-close-child.ts', import.meta.url));

describe('closing the analysis pool', () => {
  it('answers the analysis in hand, then lets each thread free its networks and exit', async () => {
    // A grace far past any analysis: on a loaded host the thread's first analysis (loading its modules
    // included) can outlast the default 3 s, and the thread would be ended, which is the next test's case.
    const pool = new AnalysisPool({ threads: 1, stopGraceMs: 60_000 });
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

  it('terminates a thread past its grace only once it has loaded and between ONNX Runtime calls (terminated inside one or while loading the binding, the whole process aborted)', async () => {
    const rounds = 12;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child, fixture('text-title.jpg'), String(rounds)], { timeout: 120_000 });
    expect(stdout.trim().split('\n').at(-1)).toBe(`closed ${rounds}`);
  }, 150_000);
});

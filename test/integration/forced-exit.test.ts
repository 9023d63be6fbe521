import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';

const run = promisify(execFile);
const child = fileURLToPath(new URL('../support/forced-exit-child.ts', import.meta.url));

/** The child's exit code and output; never rejects. */
function forcedExit(mode: 'second-signal' | 'deadline'): Promise<{ code: number | null; signal: string | null; output: string }> {
  return run(process.execPath, ['--import', 'tsx', child, fixture('text-title.jpg'), mode], { timeout: 120_000 }).then(
    (r) => ({ code: 0, signal: null, output: r.stdout + r.stderr }),
    (e: { code: number | null; signal: string | null; stdout: string; stderr: string }) => ({ code: e.code, signal: e.signal, output: e.stdout + e.stderr }),
  );
}

describe('a shutdown that exits by force', () => {
  it('waits for the analysis thread to leave its ONNX Runtime call (exiting inside one, the process aborted: exit 134)', async () => {
    const [second, deadline] = await Promise.all([forcedExit('second-signal'), forcedExit('deadline')]);
    expect(second.output).not.toContain('terminate called');
    expect([second.code, second.signal]).toEqual([130, null]);
    expect(deadline.output).toContain('running work did not finish in time');
    expect(deadline.output).not.toContain('terminate called');
    expect([deadline.code, deadline.signal]).toEqual([1, null]);
  }, 150_000);
});

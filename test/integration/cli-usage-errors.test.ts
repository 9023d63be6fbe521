import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repo } from './service-harness.ts';

const run = promisify(execFile);

/** `artmeta <args>`: exit code and stderr; never rejects. */
function artmeta(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [join(repo, 'bin/artmeta.js'), ...args], { cwd: repo, timeout: 90_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('artmeta usage errors', () => {
  it("say `artmeta: INVALID_ARGUMENT: …` with the parser's words and the command's usage, and exit 2, for every command (they said `error: …`)", async () => {
    const cases: [string[], string][] = [
      [['submit'], "missing required argument 'inputs'"],
      [['similarity', 'a.jpg'], "missing required argument 'b'"],
      [['cluster', 'dir', '--verify-threads', 'x'], "option '--verify-threads <n>' argument 'x' is invalid"],
      [['sign-url', 'a.jpg'], "required option '--canvas <canvas>' not specified"],
      [['worker', '--bogus'], "unknown option '--bogus'"],
      [['catalogue', 'frob'], "unknown command 'frob'"],
    ];
    const outcomes = await Promise.all(cases.map(([args]) => artmeta(args)));
    for (const [i, [args, words]] of cases.entries()) {
      const { code, stdout, stderr } = outcomes[i]!;
      const first = stderr.split('\n')[0];
      expect(first, args.join(' ')).toMatch(/^artmeta: INVALID_ARGUMENT: /);
      expect(first, args.join(' ')).toContain(words);
      expect(stderr, args.join(' ')).toContain('Usage: artmeta');
      expect(stdout, args.join(' ')).toBe('');
      expect(code, args.join(' ')).toBe(2);
    }
  }, 120_000);

  it('say so after the help when a command that needs one is missing (it printed the help alone), and exit 2; asked-for help exits 0', async () => {
    const [none, catalogue, help] = await Promise.all([artmeta([]), artmeta(['catalogue']), artmeta(['catalogue', '--help'])]);
    for (const { code, stderr } of [none, catalogue]) {
      expect(stderr).toContain('Usage: artmeta');
      expect(stderr.trimEnd().split('\n').at(-1)).toBe('artmeta: INVALID_ARGUMENT: name one of the commands listed above');
      expect(code).toBe(2);
    }
    expect(help.stdout).toContain('Usage: artmeta catalogue');
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
  }, 120_000);
});

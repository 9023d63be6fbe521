import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real `redis-server` (Debian package) on 127.0.0.1 and a free port, for tests and benchmarks. */
export class RedisServer {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'artmeta-redis-'));

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * `extraArgs` replace defaults, e.g. ['--appendonly', 'yes'] for a server whose restart keeps its data;
   * `env` is added to the server's environment (e.g. MALLOC_CONF for its allocator).
   */
  static async start(port?: number, extraArgs: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()), extraArgs, env);
    await server.launch();
    return server;
  }

  /** Starts the server process (again, after `kill`) on the same port and waits until it answers. */
  async launch(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...this.extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } },
    );
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.once('error', (e) => reject(new Error(`cannot start redis-server (apt-get install redis-server): ${e.message}`)));
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    });
    child.stdout?.resume();
  }

  /** Stops the server abruptly, as a crash would. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.process = undefined;
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

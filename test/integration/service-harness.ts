import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type ArtmetaConfig } from '../../service/config.ts';
import { fixture } from '../support/fixtures.ts';

export const repo = new URL('../../', import.meta.url).pathname;
export { fixture };
export const API_KEY = 'test-key-1';

/** A configuration for one test file: its own key prefix, so files never see each other's jobs. */
export function testEnv(redisUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ARTMETA_REDIS_URL: redisUrl,
    ARTMETA_PREFIX: `{test-${randomBytes(4).toString('hex')}}`,
    ARTMETA_API_KEYS: API_KEY,
    ARTMETA_CONCURRENCY: '1',
    ARTMETA_ANALYSIS_THREADS: '1',
    ARTMETA_JOB_BACKOFF_MS: '100',
    ARTMETA_LOG_LEVEL: 'warn',
    ...extra,
  };
}

export function testConfig(env: Record<string, string>): ArtmetaConfig {
  return loadConfig(env);
}

/** A local HTTP server for `url` sources: fixtures by name plus a few misbehaving routes. */
export async function startImageServer(): Promise<{ url: string; close: () => Promise<void>; server: Server }> {
  const flakyCalls = new Map<string, number>();
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    // /flaky/<n>/<name>: 503 on the first n requests, then the image: a transient fault.
    const flaky = /^\/flaky\/(\d+)\/(\w+)$/.exec(path);
    if (flaky?.[1] && flaky[2]) {
      const calls = (flakyCalls.get(flaky[2]) ?? 0) + 1;
      flakyCalls.set(flaky[2], calls);
      if (calls <= Number(flaky[1])) return response.writeHead(503).end();
      return response.writeHead(200, { 'content-type': 'image/jpeg' }).end(readFileSync(fixture('service-6.jpg')));
    }
    // S3 and Google Cloud Storage serve an object uploaded without a content type as binary/octet-stream.
    if (path === '/stored-without-type') return response.writeHead(200, { 'content-type': 'binary/octet-stream' }).end(readFileSync(fixture('service-1.jpg')));
    if (path === '/text') return response.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an image</html>');
    if (path === '/missing.jpg') return response.writeHead(404).end();
    if (path === '/to-loopback') return response.writeHead(302, { location: `http://127.0.0.1:${port()}/fixtures/service-1.jpg` }).end();
    const match = /^\/fixtures\/(service-\d+\.jpg)$/.exec(path);
    if (!match?.[1]) return response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'image/jpeg' }).end(readFileSync(fixture(match[1])));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = () => (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port()}`, server, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface JobState {
  id: string;
  state: string;
  attempts: number;
  result?: { hash: string; cached: boolean; analysis: { width: number; height: number; crops: Record<string, { x: number; y: number; w: number; h: number }> } };
  error?: { code: string; message: string };
}

/** Polls GET /v1/jobs/:id until the job has finished. */
export async function waitForJob(app: FastifyInstance, id: string, timeoutMs = 60_000): Promise<JobState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: { 'x-api-key': API_KEY } });
    const job = response.json<JobState>();
    if (job.state === 'completed' || job.state === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A multipart/form-data body with the given files, for `inject`. */
export function multipart(files: { name: string; bytes: Buffer; type?: string }[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----artmeta${randomBytes(8).toString('hex')}`;
  const parts = files.map((f) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\nContent-Type: ${f.type ?? 'image/jpeg'}\r\n\r\n`),
      f.bytes,
      Buffer.from('\r\n'),
    ]),
  );
  return {
    payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-api-key': API_KEY },
  };
}

/** `artmeta worker` as a child process; resolves once it says it is ready. */
export async function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  return (await spawnArtmeta('worker', env, /worker ready/)).child;
}

/** `artmeta serve` as a child process on a free port; resolves with its address once it listens. */
export async function spawnServe(env: Record<string, string>): Promise<{ child: ChildProcess; address: string; output: () => string }> {
  const started = await spawnArtmeta('serve', { ARTMETA_HOST: '127.0.0.1', ARTMETA_PORT: '0', ...env }, /Server listening at (http:\/\/[\d.:]+)/);
  return { child: started.child, address: started.match[1] ?? '', output: started.output };
}

/**
 * An `artmeta` command as a child process (info logs), resolved once its output matches `ready`;
 * `output()` is everything it has written to stdout and stderr so far.
 */
export async function spawnArtmeta(
  command: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray; output: () => string }> {
  const child = spawn(process.execPath, [join(repo, 'bin/artmeta.js'), command], {
    cwd: repo,
    env: { ...process.env, ...env, ARTMETA_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const check = () => {
      const found = ready.exec(output);
      if (!found) return;
      child.stdout?.off('data', check);
      resolve(found);
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${output}`)));
  });
  return { child, match, output: () => output };
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  return exited;
}

import { connect } from 'node:net';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { connectAppDeps } from '../../api/app-deps.ts';
import { API_KEY, spawnServe, stopProcess, testConfig, testEnv } from './service-harness.ts';

const LIMIT = 100 * 1024;

/**
 * Upload limits over a real socket, as clients meet them (inject hands the body over in one piece,
 * which hides how the body arrives).
 */
describe('upload limits over HTTP', () => {
  let app: FastifyInstance;
  let closeDeps: () => Promise<void>;
  let base: string;
  let port: number;

  beforeAll(async () => {
    const config = testConfig(testEnv(inject('redisUrl'), { ARTMETA_UPLOAD_MAX_BYTES: String(LIMIT) }));
    const deps = await connectAppDeps(config);
    closeDeps = deps.close;
    app = await buildApp(config, { ...deps, logger: false });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    port = Number(new URL(base).port);
  });

  afterAll(async () => {
    await app?.close();
    await closeDeps?.();
  });

  it('answers 413 to an oversized body sent without Expect: 100-continue, never a reset (`artmeta serve`)', async () => {
    // The reset shows on a server in its own process (in this one, the test's own client paces it).
    const serve = await spawnServe(testEnv(inject('redisUrl'), { ARTMETA_UPLOAD_MAX_BYTES: String(LIMIT) }));
    try {
      const body = Buffer.alloc(8 * 1024 * 1024, 7);
      const statuses: (number | string)[] = [];
      for (let i = 0; i < 60; i++) {
        const type = i % 2 === 0 ? 'image/jpeg' : 'application/json';
        const status = await fetch(`${serve.address}/v1/crop-hints`, { method: 'POST', headers: { 'x-api-key': API_KEY, 'content-type': type }, body }).then(
          (r) => r.status,
          (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message,
        );
        statuses.push(status);
      }
      expect(statuses).toEqual(statuses.map(() => 413));
    } finally {
      await stopProcess(serve.child);
    }
  });

  it('answers 413 to an oversized multipart upload to /v1/crop-hints whose data arrives exactly at the limit', async () => {
    // A real JPEG over the limit, so a body cut at the limit would be decoded (and fail as damaged).
    const noise = Buffer.from(Array.from({ length: 600 * 600 * 3 }, (_, i) => (i * 7919) % 251));
    const jpeg = await sharp(noise, { raw: { width: 600, height: 600, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
    expect(jpeg.length).toBeGreaterThan(LIMIT + 1000);
    const boundary = 'artmetaboundary';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const length = head.length + jpeg.length + tail.length;
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('end', () => resolve(answer));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
      socket.write(
        `POST /v1/crop-hints HTTP/1.1\r\nHost: x\r\nx-api-key: ${API_KEY}\r\nConnection: close\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n`,
      );
      // The file's first LIMIT bytes in one piece, the rest a moment later: the parser sees the
      // limit reached exactly at a chunk's end.
      socket.write(Buffer.concat([head, jpeg.subarray(0, LIMIT)]));
      setTimeout(() => socket.write(Buffer.concat([jpeg.subarray(LIMIT), tail])), 200);
    });
    expect(response.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(response).toContain('INPUT_TOO_LARGE');
  });
});

import { totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../service/config.ts';
import { analyzeJobId } from '../../service/queue/job-id.ts';
import { parseAnalyzeRequest } from '../../service/request/analyze-request.ts';
import { AddressGuard } from '../../service/sources/address-guard.ts';

describe('service configuration from the environment', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.prefix).toBe('{artmeta}');
    expect(config.sources.pathRoots).toEqual([]);
    expect(config.api.analysisThreads).toBe(1);
  });

  it('holds the analysis wait of cluster jobs, cluster concurrency and shutdown limit, validated like the rest', () => {
    const config = loadConfig({ ARTMETA_ANALYSIS_TIMEOUT_MS: '120000', ARTMETA_CLUSTER_CONCURRENCY: '2', ARTMETA_SHUTDOWN_MS: '5000' });
    expect(config.worker).toMatchObject({ analysisTimeoutMs: 120_000, clusterConcurrency: 2 });
    expect(config.shutdownMs).toBe(5_000);
    expect(loadConfig({}).worker).toMatchObject({ analysisTimeoutMs: 600_000, clusterConcurrency: 4 });
    expect(() => loadConfig({ ARTMETA_CLUSTER_CONCURRENCY: '0' })).toThrow(/ARTMETA_CLUSTER_CONCURRENCY/);
  });

  // Regression: typebox's Value.Convert turned "1.5" into 1, "1e3" into 1 and "0x10" into 16, silently.
  it.each(['1.5', '1.0', '1e3', '0x10', '0b11', '+5', '-0', '012', '1_000', '12abc', 'Infinity', '9007199254740993'])(
    'refuses %j for an integer variable, naming the variable and the value as written',
    (value) => {
      for (const name of ['ARTMETA_RENDER_CACHE_BYTES', 'ARTMETA_PORT']) {
        expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
        expect(() => loadConfig({ [name]: value })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
        expect(() => loadConfig({ [name]: value })).toThrow(`${name}=${JSON.stringify(value)}: not a plain integer`);
      }
    },
  );

  it('reads plain integers, ignores surrounding spaces and takes an empty value as unset', () => {
    expect(loadConfig({ ARTMETA_PORT: '0' }).api.port).toBe(0);
    expect(loadConfig({ ARTMETA_PORT: ' 9090 ' }).api.port).toBe(9090);
    expect(loadConfig({ ARTMETA_RENDER_CACHE_BYTES: '1048576' }).api.renderCacheBytes).toBe(1_048_576);
    expect(loadConfig({ ARTMETA_PORT: '' }).api.port).toBe(8080);
  });

  it('refuses a port past 65535 at start, naming ARTMETA_PORT (serve failed later with fastify\'s "options.port should be >= 0 and < 65536")', () => {
    expect(loadConfig({ ARTMETA_PORT: '65535' }).api.port).toBe(65_535);
    expect(() => loadConfig({ ARTMETA_PORT: '65536' })).toThrow(/ARTMETA_PORT="65536"/);
  });

  it('reads true, false, 1 and 0 as booleans and refuses other words', () => {
    expect(loadConfig({ ARTMETA_REDIS_CLUSTER: 'true' }).redis.cluster).toBe(true);
    expect(loadConfig({ ARTMETA_REDIS_CLUSTER: '1' }).redis.cluster).toBe(true);
    expect(loadConfig({ ARTMETA_REDIS_CLUSTER: 'FALSE' }).redis.cluster).toBe(false);
    expect(() => loadConfig({ ARTMETA_REDIS_CLUSTER: 'yes' })).toThrow('ARTMETA_REDIS_CLUSTER="yes"');
  });

  it('reads the database from ARTMETA_REDIS_URL\'s path and refuses any other path, or a database for a Redis Cluster (both ran in database 0)', () => {
    expect(loadConfig({ ARTMETA_REDIS_URL: 'redis://r:6379/3' }).redis.url).toBe('redis://r:6379/3');
    expect(loadConfig({ ARTMETA_REDIS_URL: 'rediss://u:p@r:6380/' }).redis.url).toBe('rediss://u:p@r:6380/');
    expect(loadConfig({ ARTMETA_REDIS_URL: 'redis://r:7000', ARTMETA_REDIS_CLUSTER: 'true' }).redis.cluster).toBe(true);
    expect(() => loadConfig({ ARTMETA_REDIS_URL: 'redis://r:6379/db3' })).toThrow(/ARTMETA_REDIS_URL="redis:\/\/r:6379\/db3": the path "\/db3" is not a database number/);
    expect(() => loadConfig({ ARTMETA_REDIS_URL: 'redis://r:6379/3/x' })).toThrow(/not a database number/);
    expect(() => loadConfig({ ARTMETA_REDIS_URL: 'redis://r:7000/2', ARTMETA_REDIS_CLUSTER: 'true' })).toThrow(/a Redis Cluster has only database 0/);
    expect(() => loadConfig({ ARTMETA_REDIS_URL: 'redis://exa mple' })).toThrow(/ARTMETA_REDIS_URL=.*not a URL/);
  });

  it('refuses an ARTMETA_ variable it does not read, naming the one meant (a typo left the default in force without a word)', () => {
    expect(() => loadConfig({ ARTMETA_CONCURENCY: '2' })).toThrow('ARTMETA_CONCURENCY: not a variable artmeta reads (ARTMETA_CONCURRENCY?)');
    expect(() => loadConfig({ ARTMETA_API_KEY: 'k' })).toThrow('ARTMETA_API_KEY: not a variable artmeta reads (ARTMETA_API_KEYS?)');
    expect(() => loadConfig({ ARTMETA_COLOUR: 'blue' })).toThrow(/ARTMETA_COLOUR: not a variable artmeta reads$/m);
    expect(loadConfig({ OTHER_CONCURENCY: '2' }).worker.concurrency).toBeGreaterThan(0);
  });

  it('names every bad variable in one message', () => {
    try {
      loadConfig({ ARTMETA_PORT: 'eighty', ARTMETA_PREFIX: 'artmeta', ARTMETA_ASPECTS: '16:9,wide', ARTMETA_PATH_ROOTS: 'relative/dir' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const message = (e as Error).message;
      for (const name of ['ARTMETA_PORT', 'ARTMETA_PREFIX']) expect(message).toContain(name);
    }
    expect(() => loadConfig({ ARTMETA_ASPECTS: '16:9,wide', ARTMETA_PATH_ROOTS: 'relative/dir' })).toThrow(/ARTMETA_ASPECTS[\s\S]*ARTMETA_PATH_ROOTS/);
  });

  it('names the values a variable of a few words takes (it said "Expected union value")', () => {
    expect(() => loadConfig({ ARTMETA_LOG_LEVEL: 'loud' })).toThrow('ARTMETA_LOG_LEVEL="loud": one of fatal, error, warn, info, debug, trace, silent');
  });

  it('refuses an ARTMETA_URL_ALLOW entry with a slash that is not a CIDR range at start (every URL source failed as INTERNAL)', () => {
    for (const entry of ['10.0.0.0/33', 'images.internal/16', '10.20.0.0/']) {
      expect(() => loadConfig({ ARTMETA_URL_ALLOW: `images.internal,${entry}` }), entry).toThrow(`ARTMETA_URL_ALLOW: "${entry}" is not a CIDR range`);
    }
    expect(loadConfig({ ARTMETA_URL_ALLOW: 'images.internal, 10.20.0.0/16 ,127.0.0.1,::1/128' }).sources.url.allow).toEqual(['images.internal', '10.20.0.0/16', '127.0.0.1', '::1/128']);
  });
});

describe('SSRF address guard', () => {
  const guard = new AddressGuard(['10.20.0.0/16', 'images.internal', '127.0.0.1']);
  it.each([
    ['8.8.8.8', true],
    ['2a00:1450:4001:81c::200e', true],
    ['127.0.0.2', false],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['fd00::1', false],
    ['fe80::1', false],
    ['::ffff:192.168.1.1', false],
    ['10.20.3.4', true],
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['not-an-ip', false],
  ])('%s allowed: %s', (address, allowed) => {
    expect(guard.addressAllowed(address)).toBe(allowed);
  });

  it('allows listed host names only', () => {
    expect(guard.hostAllowed('IMAGES.internal')).toBe(true);
    expect(guard.hostAllowed('images.internal.evil.com')).toBe(false);
  });
});

describe('job ids', () => {
  it('are the same for the same image and options, whatever the order of aspects', () => {
    const request = (aspects: string[], place?: string) => parseAnalyzeRequest({ aspects, ...(place ? { place } : {}) }, []);
    const a = analyzeJobId({ source: { url: 'https://example.com/a.jpg' }, request: request(['16:9', '1:1']) });
    expect(analyzeJobId({ source: { url: 'https://example.com/a.jpg' }, request: request(['1:1', '16:9']) })).toBe(a);
    expect(analyzeJobId({ source: { url: 'https://example.com/a.jpg' }, request: request(['1:1']) })).not.toBe(a);
    expect(analyzeJobId({ source: { url: 'https://example.com/b.jpg' }, request: request(['16:9', '1:1']) })).not.toBe(a);
    expect(analyzeJobId({ source: { url: 'https://example.com/a.jpg' }, request: request(['16:9', '1:1'], '20%x10%') })).not.toBe(a);
    expect(a).not.toContain(':');
  });
});

describe('render cache bounds', () => {
  it('default to 64 MiB of pictures and 128 MiB of masters; 0 turns a cache off', () => {
    expect(loadConfig({}).api).toMatchObject({ renderCacheBytes: 64 * 1024 * 1024, renderMasterBytes: 128 * 1024 * 1024 });
    expect(loadConfig({ ARTMETA_RENDER_CACHE_BYTES: '0', ARTMETA_RENDER_MASTER_BYTES: '0' }).api).toMatchObject({ renderCacheBytes: 0, renderMasterBytes: 0 });
  });

  it('refuse a negative or non-numeric bound, and bounds above half the memory', () => {
    expect(() => loadConfig({ ARTMETA_RENDER_CACHE_BYTES: '-1' })).toThrow(/ARTMETA_RENDER_CACHE_BYTES/);
    expect(() => loadConfig({ ARTMETA_RENDER_MASTER_BYTES: '128MB' })).toThrow(/ARTMETA_RENDER_MASTER_BYTES/);
    expect(() => loadConfig({ ARTMETA_RENDER_CACHE_BYTES: String(totalmem()) })).toThrow(/more than half/);
  });

  it('bound a master to 1920 px a side unless set, between 64 and 8192', () => {
    expect(loadConfig({}).api.renderMasterMaxSide).toBe(1920);
    expect(loadConfig({ ARTMETA_RENDER_MASTER_MAX_SIDE: '1280' }).api.renderMasterMaxSide).toBe(1280);
    for (const bad of ['63', '8193', '2048px', '1e3']) expect(() => loadConfig({ ARTMETA_RENDER_MASTER_MAX_SIDE: bad }), bad).toThrow(/ARTMETA_RENDER_MASTER_MAX_SIDE/);
  });

  it('encode WebP renders at effort 2 unless set, between 0 and 6', () => {
    expect(loadConfig({}).api.renderWebpEffort).toBe(2);
    expect(loadConfig({ ARTMETA_RENDER_WEBP_EFFORT: '0' }).api.renderWebpEffort).toBe(0);
    for (const bad of ['-1', '7', '1.5', 'fast']) expect(() => loadConfig({ ARTMETA_RENDER_WEBP_EFFORT: bad }), bad).toThrow(/ARTMETA_RENDER_WEBP_EFFORT/);
  });
});

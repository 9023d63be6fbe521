/**
 * Redis's CPU time per catalogue look-up (the reservation's read of an image's 1,600 bucket fields and
 * the append of its slot to each) in a few layouts, on synthetic buckets: what the look-up script's own
 * work costs against the fields' reads, and what other layouts would cost. An experiment for issue 14's
 * rate (BENCHMARKS.md, "Catalogue in Redis: scale"), not part of the service; no image data is used.
 *
 *   npm run measure:catalogue-lookup -- [layouts, default lua,lua-read,module] [--bits 22] [--entries 9.5] [--lookups 600] [--aof]
 *
 * The buckets: 4 tables of 2^bits fields (22: the index's bitsPerKey) holding Poisson(entries) random
 * 3-byte slots each — 9.5 is a catalogue of 100k images (400 keys per image and table), 1.9 of 20k, 19 of
 * 200k. Then `lookups` look-ups of 4 × 400 random keys, and redis-server's CPU time (INFO cpu) per look-up.
 * Layouts, each on a server of its own, filled alike:
 * - `lua`: the index's (catalogue-scripts.ts RESERVE, its bucket work only): one hash per table, a Lua
 *   script reads the fields (HMGET), appends the slot to each (HSET) and returns the contents back to
 *   back with their lengths.
 * - `lua-read`: the same script's reads alone (HMGET, nothing written or returned): a floor for any Lua look-up.
 * - `module`: the same work as one native command (scripts/catalogue-lookup-module.c, compiled here with
 *   gcc and loaded by the server): no Lua, no protocol between the script and Redis.
 * - `strings`: one string key per bucket, the script APPENDs the slot to each (APPEND grows a string in
 *   place) and the client reads them with MGET in the same round trip.
 * - `appends`: the same keys, named as the service would, read by an MGET inside the script (the service's
 *   look-up on string keys): what an AOF-friendly layout costs (issue 14's append-only file).
 * - `chunks`: hash fields of at most CHUNK_ENTRIES slots per bucket, the open chunk rewritten (see CHUNKS).
 * `--aof` turns the append-only file on after the fill and adds the bytes it grows by per look-up.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { appendOnly, aofBytes } from '../test/support/append-only-file.ts';
import { RedisServer } from '../test/support/redis-server.ts';
import { mulberry32 } from './seeded-random.ts';

const TABLES = 4;
const PER_TABLE = 400;
const PREFIX = '{m}:lsh:';
const FILL_BATCH = 4096;
/** The index's cap on a bucket (maxBucketSize 512 slots of 3 bytes): never reached by these fills. */
const MAX_BUCKET_BYTES = 512 * 3;

const LUA = `
local per = tonumber(ARGV[2])
local blob = ARGV[3]
local entry = struct.pack('<I3', tonumber(ARGV[4]))
local contents, lengths, kept = {}, {}, 0
local o = 1
for t = 1, ${TABLES} do
  local fields = {}
  for k = 1, per do fields[k] = string.sub(blob, o, o + 2); o = o + 3 end
  local key = ARGV[1] .. (t - 1)
  local values = redis.call('HMGET', key, unpack(fields))
  local changes, c = {}, 0
  for k = 1, per do
    local before = values[k] or ''
    kept = kept + 1; contents[kept] = before; lengths[kept] = #before
    changes[c + 1] = fields[k]; changes[c + 2] = before .. entry; c = c + 2
  end
  redis.call('HSET', key, unpack(changes))
end
return { table.concat(contents), struct.pack('<' .. string.rep('H', kept), unpack(lengths)) }
`;

const LUA_READ = `
local per = tonumber(ARGV[2])
local blob = ARGV[3]
local o = 1
local n = 0
for t = 1, ${TABLES} do
  local fields = {}
  for k = 1, per do fields[k] = string.sub(blob, o, o + 2); o = o + 3 end
  n = n + #redis.call('HMGET', ARGV[1] .. (t - 1), unpack(fields))
end
return n
`;

const STRINGS = `
local per = tonumber(ARGV[2])
local blob = ARGV[3]
local entry = struct.pack('<I3', tonumber(ARGV[4]))
local o = 1
for t = 1, ${TABLES} do
  local prefix = ARGV[1] .. (t - 1) .. ':'
  for k = 1, per do
    redis.call('APPEND', prefix .. string.sub(blob, o, o + 2), entry)
    o = o + 3
  end
end
return 1
`;

/**
 * The service's look-up on one string key per bucket, as the service would name them (the hash tag and
 * generation of the default prefix: the key name is in every appended command of the AOF): one MGET per
 * table inside the script, then one APPEND per field (a script's writes reach the AOF and replicas as the
 * commands it calls, so an APPEND writes its 3 bytes, an HSET the bucket whole).
 */
const APPENDS = `
local per = tonumber(ARGV[2])
local blob = ARGV[3]
local entry = struct.pack('<I3', tonumber(ARGV[4]))
local maxBytes = tonumber(ARGV[5])
local contents, lengths, kept = {}, {}, 0
local o = 1
for t = 1, ${TABLES} do
  local prefix = ARGV[1] .. (t - 1) .. ':'
  local names = {}
  for k = 1, per do names[k] = prefix .. string.sub(blob, o, o + 2); o = o + 3 end
  local values = redis.call('MGET', unpack(names))
  for k = 1, per do
    local before = values[k] or ''
    kept = kept + 1; contents[kept] = before; lengths[kept] = #before
    if before ~= 'F' then
      if #before + 3 > maxBytes then redis.call('SET', names[k], 'F') else redis.call('APPEND', names[k], entry) end
    end
  end
end
return { table.concat(contents), struct.pack('<' .. string.rep('H', kept), unpack(lengths)) }
`;
/**
 * Slots per sealed chunk of `chunks`: the bucket's last, open chunk is all an append rewrites (≤ 96 bytes
 * to the AOF, whatever the bucket's size), at one more field per 32 entries to read and keep.
 */
const CHUNK_ENTRIES = 32;

/**
 * Chunked hash fields: a bucket's field holds a byte counting its sealed chunks, then its open chunk
 * (< CHUNK_ENTRIES slots); sealed chunk c is the field `<bucket key><byte c>`. The script reads the open
 * chunks (one HMGET per table), then the sealed chunks of those buckets that have some (a second HMGET),
 * appends to the open chunk, and seals it when full.
 */
const CHUNKS = `
local per = tonumber(ARGV[2])
local blob = ARGV[3]
local entry = struct.pack('<I3', tonumber(ARGV[4]))
local chunkBytes = ${CHUNK_ENTRIES} * 3
local contents, lengths, kept = {}, {}, 0
local o = 1
for t = 1, ${TABLES} do
  local key = ARGV[1] .. (t - 1)
  local fields = {}
  for k = 1, per do fields[k] = string.sub(blob, o, o + 2); o = o + 3 end
  local heads = redis.call('HMGET', key, unpack(fields))
  local names, owners, s = {}, {}, 0
  for k = 1, per do
    local h = heads[k]
    if h then
      for c = 0, string.byte(h, 1) - 1 do s = s + 1; names[s] = fields[k] .. string.char(c); owners[s] = k end
    end
  end
  local parts = {}
  if s > 0 then
    local sealed = redis.call('HMGET', key, unpack(names))
    for i = 1, s do parts[owners[i]] = (parts[owners[i]] or '') .. (sealed[i] or '') end
  end
  local changes, c = {}, 0
  for k = 1, per do
    local h = heads[k] or '\0'
    local open = string.sub(h, 2)
    local before = (parts[k] or '') .. open
    kept = kept + 1; contents[kept] = before; lengths[kept] = #before
    if #open + 3 > chunkBytes then
      local n = string.byte(h, 1)
      changes[c + 1] = fields[k] .. string.char(n); changes[c + 2] = open
      changes[c + 3] = fields[k]; changes[c + 4] = string.char(n + 1) .. entry
      c = c + 4
    else
      changes[c + 1] = fields[k]; changes[c + 2] = h .. entry
      c = c + 2
    end
  end
  redis.call('HSET', key, unpack(changes))
end
return { table.concat(contents), struct.pack('<' .. string.rep('H', kept), unpack(lengths)) }
`;

/** The string keys' prefix of `appends`: the service's `<prefix>:cat:<generation>:lsh:` (default prefix). */
const STRING_PREFIX = '{artmeta}:cat:0:lsh:';

type Layout = 'lua' | 'lua-read' | 'module' | 'strings' | 'appends' | 'chunks';

function poisson(random: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = random(); p > limit; p *= random()) k++;
  return k;
}

function packedKey(key: number): Buffer {
  const out = Buffer.alloc(3);
  out.writeUIntLE(key, 0, 3);
  return out;
}

function redisCpuMs(info: string): number {
  return (Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0)) * 1000;
}

async function fill(redis: Redis, layout: Layout, buckets: number, entries: number): Promise<void> {
  const random = mulberry32(20261207);
  for (let t = 0; t < TABLES; t++) {
    for (let start = 0; start < buckets; start += FILL_BATCH) {
      const args: Buffer[] = [];
      for (let k = start; k < Math.min(buckets, start + FILL_BATCH); k++) {
        const value = Buffer.alloc(poisson(random, entries) * 3);
        for (let i = 0; i < value.length; i++) value[i] = Math.floor(random() * 256);
        if (value.length === 0) continue;
        if (layout === 'chunks') {
          const chunkBytes = CHUNK_ENTRIES * 3;
          const sealed = Math.floor((value.length - 1) / chunkBytes);
          for (let c = 0; c < sealed; c++) args.push(Buffer.concat([packedKey(k), Buffer.from([c])]), value.subarray(c * chunkBytes, (c + 1) * chunkBytes));
          args.push(packedKey(k), Buffer.concat([Buffer.from([sealed]), value.subarray(sealed * chunkBytes)]));
        } else if (layout === 'appends') args.push(Buffer.concat([Buffer.from(`${STRING_PREFIX}${t}:`), packedKey(k)]), value);
        else args.push(layout === 'strings' ? Buffer.concat([Buffer.from(`${PREFIX}${t}:`), packedKey(k)]) : packedKey(k), value);
      }
      if (args.length === 0) continue;
      if (layout === 'strings' || layout === 'appends') await redis.mset(...args);
      else await redis.hset(`${PREFIX}${t}`, ...args);
    }
  }
}

async function measure(layout: Layout, module: string, bits: number, entries: number, lookups: number, aof: boolean): Promise<void> {
  const server = await RedisServer.start(undefined, ['--disable-thp', 'no', ...(layout === 'module' ? ['--loadmodule', module] : [])], { MALLOC_CONF: 'thp:always,metadata_thp:always' });
  const redis = new Redis(server.url);
  try {
    const buckets = 2 ** bits;
    await fill(redis, layout, buckets, entries);
    if (aof) await appendOnly(redis);
    const script = { lua: LUA, 'lua-read': LUA_READ, strings: STRINGS, appends: APPENDS, chunks: CHUNKS, module: '' }[layout];
    const random = mulberry32(7);
    const keys = () => {
      const out = Buffer.alloc(TABLES * PER_TABLE * 3);
      for (let i = 0; i < TABLES * PER_TABLE; i++) out.writeUIntLE(Math.floor(random() * buckets), i * 3, 3);
      return out;
    };
    const lookUp = async (blob: Buffer, slot: number): Promise<number> => {
      if (layout === 'module') return ((await redis.callBuffer('LSH.LOOK', PREFIX, PER_TABLE, blob, slot, MAX_BUCKET_BYTES, 1)) as Buffer[])[0]!.length;
      if (layout !== 'strings') {
        const reply = await redis.callBuffer('EVAL', script, 0, layout === 'appends' ? STRING_PREFIX : PREFIX, PER_TABLE, blob, slot, MAX_BUCKET_BYTES);
        return Array.isArray(reply) ? (reply[0] as Buffer).length : 0;
      }
      const names = Array.from({ length: TABLES * PER_TABLE }, (_, i) => Buffer.concat([Buffer.from(`${PREFIX}${Math.floor(i / PER_TABLE)}:`), blob.subarray(i * 3, i * 3 + 3)]));
      const replies = await redis.pipeline().callBuffer('EVAL', script, 0, PREFIX, PER_TABLE, blob, slot).mgetBuffer(...names).exec();
      return (replies![1]![1] as (Buffer | null)[]).reduce((a, v) => a + (v?.length ?? 0), 0);
    };
    await lookUp(keys(), 1);
    const memoryBefore = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    const aofBefore = aofBytes(await redis.info('persistence'));
    const cpuBefore = redisCpuMs(await redis.info('cpu'));
    const clientBefore = process.cpuUsage();
    let bytes = 0;
    for (let i = 0; i < lookups; i++) bytes += await lookUp(keys(), i + 2);
    const cpu = redisCpuMs(await redis.info('cpu')) - cpuBefore;
    const client = process.cpuUsage(clientBefore);
    const memoryAfter = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    const written = aof ? `; AOF ${((aofBytes(await redis.info('persistence')) - aofBefore) / lookups).toFixed(0)} B per look-up` : '';
    console.log(
      `${layout.padEnd(8)} 4 × 2^${bits} buckets of Poisson(${entries}) entries: redis-server CPU ${(cpu / lookups).toFixed(2)} ms per look-up, client ${((client.user + client.system) / 1000 / lookups).toFixed(2)} ms; ` +
        `entries read ${(bytes / 3 / lookups).toFixed(0)}; used_memory +${((memoryAfter - memoryBefore) / lookups).toFixed(0)} B per look-up (index ${(memoryBefore / 2 ** 20).toFixed(0)} MiB)${written}`,
    );
  } finally {
    await redis.quit();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { bits: { type: 'string', default: '22' }, entries: { type: 'string', default: '9.5' }, lookups: { type: 'string', default: '600' }, aof: { type: 'boolean', default: false } } });
  const layouts = (positionals[0] ?? 'lua,lua-read,module').split(',') as Layout[];
  const module = join(mkdtempSync(join(tmpdir(), 'artmeta-lookup-module-')), 'lsh.so');
  if (layouts.includes('module')) execFileSync('gcc', ['-O2', '-fPIC', '-shared', '-o', module, join(import.meta.dirname, 'catalogue-lookup-module.c')]);
  for (const layout of layouts) await measure(layout, module, Number(values.bits), Number(values.entries), Number(values.lookups), values.aof);
}

await main();

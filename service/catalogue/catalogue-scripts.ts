import type { RedisClient } from '../queue/redis-connection.ts';
import { STORED_SIGNATURE } from '../store/result-store.ts';

/**
 * The catalogue's Lua scripts. Every write is one script: Redis runs a script to its end before any
 * other command, so a worker killed at any moment leaves either nothing or the whole assignment, and
 * a retried job finds the image assigned (`have`) or assigns it afresh. KEYS[1] is always the
 * generation pointer (it routes the call in a Cluster; every other key shares its hash tag), ARGV[1]
 * the key base, ARGV[2] the generation ('' = the current one). Key names follow catalogue-keys.ts.
 */
const PRELUDE = `
local base = ARGV[1]
local gen = ARGV[2]
if gen == '' then gen = redis.call('GET', KEYS[1]) or '0' end
local g = base .. ':' .. gen
`;

/**
 * The image's bucket fields from ARGV[i] (tables × perTable packed 3-byte keys, table-major, see
 * catalogue-keys.ts), as one list per table: one argument instead of 1,600 (serialising that many
 * arguments took the worker more time than the whole script took Redis).
 */
const BUCKET_FIELDS = `
local function bucketFields(tables, per, blob)
  local out = {}
  local o = 1
  for t = 1, tables do
    local fields = {}
    for k = 1, per do
      fields[k] = string.sub(blob, o, o + 2)
      o = o + 3
    end
    out[t] = fields
  end
  return out
end
`;

/**
 * Read-only look-up, the first round trip of an assignment: the generation, its matcher version, how
 * many slots were ever given (entries at or above that number appear later and mean a conflict), the
 * image's own entry, and the contents of the image's buckets.
 * ARGV: base, gen, image, tables, keys per table, packed keys.
 */
const LOOKUP = `${PRELUDE}${BUCKET_FIELDS}
local meta = g .. ':meta'
local out = { gen, redis.call('HGET', meta, 'version') or '', redis.call('HGET', meta, 'slots') or '0', redis.call('HGET', g .. ':img', ARGV[3]) or '' }
local per = tonumber(ARGV[5])
if per > 0 then
  for t, fields in ipairs(bucketFields(tonumber(ARGV[4]), per, ARGV[6])) do
    local values = redis.call('HMGET', g .. ':lsh:' .. (t - 1), unpack(fields))
    for k = 1, per do out[#out + 1] = values[k] or '' end
  end
end
return out
`;

/**
 * The lineages of the most voted slots, in vote order, until \`limit\` distinct ones: number, id,
 * revision, shape, representatives and their slots, then per representative its signature — only the
 * root's and those of representatives among the voted slots, the ones the join verifies (the result
 * store's, or the index's own copy; '' for the others, which the join never reads). The second round trip.
 * ARGV: base, gen, store key prefix, limit, slots…
 */
const CANDIDATES = `${PRELUDE}
local store = ARGV[3]
local limit = tonumber(ARGV[4])
local voted = {}
for i = 5, #ARGV do voted[ARGV[i]] = true end
local seen = {}
local out = {}
local found = 0
for i = 5, #ARGV do
  if found >= limit then break end
  local at = tonumber(ARGV[i]) * 4
  local raw = redis.call('GETRANGE', g .. ':slot', at, at + 3)
  if #raw == 4 then
    local num = struct.unpack('<I4', raw)
    if num ~= 0 and not seen[num] then
      seen[num] = true
      local f = redis.call('HMGET', g .. ':lin:' .. num, 'id', 'rev', 'shape', 'reps', 'slots')
      if f[1] then
        found = found + 1
        out[#out + 1] = tostring(num)
        out[#out + 1] = f[1]
        out[#out + 1] = f[2]
        out[#out + 1] = f[3]
        out[#out + 1] = f[4]
        out[#out + 1] = f[5]
        local slots = {}
        for s in string.gmatch(f[5], '%S+') do slots[#slots + 1] = s end
        local k = 0
        for rep in string.gmatch(f[4], '%S+') do
          k = k + 1
          if k == 1 or voted[slots[k]] then
            out[#out + 1] = redis.call('GET', g .. ':sig:' .. num .. ':' .. rep) or redis.call('HGET', store .. rep, '${STORED_SIGNATURE.field}') or ''
          else
            out[#out + 1] = ''
          end
        end
      end
    end
  end
end
return out
`;

/**
 * Commits one assignment decided from a look-up, or refuses it when what the decision rests on has
 * changed since: an image newer than the look-up with at least minVotes entries in the image's buckets
 * (it would have been a candidate), or a new revision of the lineage it joins. The caller then looks up
 * again — optimistic concurrency, serialised by Redis. A newer image with fewer votes is no conflict:
 * it could not have been a candidate, so the decision is the one a one-at-a-time order gives. (Any
 * newer entry conflicted once; with 1,600 keys per image, two unrelated images share a bucket by
 * chance about every other time, and a worker deciding slowly kept losing to a faster one.)
 * Slots are appended in ascending order, so the newer entries are each bucket's tail.
 * Every image is indexed, not only representatives: indexing representatives alone (tried, 6 Dec 2026)
 * cut the index's memory and Redis work by about half on the synthetic catalogue, but lost true
 * pairs on lineages/ (eval:catalogue, one worker against LineageIndex.add in the same order: B-cubed
 * recall up to 0.0246 lower) — a newcomer often resembles a member that is no representative more than
 * any representative (same grade), and its votes are what bring the lineage into the candidates.
 * A new representative's signature is copied into the index only when the result store does not hold
 * it (an index used without the service's store): the store keeps every image's signature anyway.
 * ARGV: base, gen, mustBeCurrent, version, image, seenSlots, maxBucket, mode ('join'|'new'), num, rev,
 *       shape, becomesRepresentative ('1'|'0'), idBase, signature (base64), minVotes, tables, keys per
 *       table, packed keys, store key prefix
 * Returns {'ok', id, num, slot} | {'have', id} | {'retry'} | {'gen'} | {'version', stored} | {'full'} (no slot left)
 * | {'signature'} (send the signature: the store does not hold it).
 */
const ASSIGN = `${PRELUDE}${BUCKET_FIELDS}
if ARGV[3] == '1' and (redis.call('GET', KEYS[1]) or '0') ~= gen then return { 'gen' } end
local meta = g .. ':meta'
local version = redis.call('HGET', meta, 'version')
if version and version ~= ARGV[4] then return { 'version', version } end
local image = ARGV[5]
local have = redis.call('HGET', g .. ':img', image)
if have then
  local n = string.match(have, ':(%d+)$')
  return { 'have', redis.call('HGET', g .. ':lin:' .. n, 'id') }
end
local seenSlots = tonumber(ARGV[6])
local maxBucket = tonumber(ARGV[7])
local mode = ARGV[8]
-- A new representative needs its signature: the store's, or the one sent (the caller sends none when it
-- read the image's from the store; if the store has lost it since, it is asked for).
local representative = mode == 'new' or ARGV[12] == '1'
local keepCopy = representative and redis.call('HEXISTS', ARGV[19] .. image, '${STORED_SIGNATURE.field}') == 0
if keepCopy and ARGV[14] == '' then return { 'signature' } end
-- One HMGET per table (a redis.call per bucket would cost more than all the rest).
local minVotes = tonumber(ARGV[15])
local per = tonumber(ARGV[17])
local newer = {}
local tables = {}
if per > 0 then
  for t, fields in ipairs(bucketFields(tonumber(ARGV[16]), per, ARGV[18])) do
    local values = redis.call('HMGET', g .. ':lsh:' .. (t - 1), unpack(fields))
    for k = 1, per do
      local v = values[k] or ''
      local at = #v - 2
      while at >= 1 do
        local slot = struct.unpack('<I3', v, at)
        if slot < seenSlots then break end
        newer[slot] = (newer[slot] or 0) + 1
        if newer[slot] >= minVotes then return { 'retry' } end
        at = at - 3
      end
    end
    tables[t] = { g .. ':lsh:' .. (t - 1), fields, values }
  end
end
local num
local lin
if mode == 'join' then
  num = ARGV[9]
  lin = g .. ':lin:' .. num
  if redis.call('HGET', lin, 'rev') ~= ARGV[10] then return { 'retry' } end
else
  num = tostring(redis.call('HINCRBY', meta, 'lineages', 1))
  lin = g .. ':lin:' .. num
  local id = ARGV[13]
  local k = 2
  while redis.call('HEXISTS', g .. ':ids', id) == 1 do
    id = ARGV[13] .. '-' .. k
    k = k + 1
  end
  redis.call('HSET', lin, 'id', id, 'rev', '0', 'reps', '', 'slots', '')
  redis.call('HSET', g .. ':ids', id, num)
end
if not version then redis.call('HSET', meta, 'version', ARGV[4]) end
local slot = tonumber(redis.call('HGET', meta, 'slots') or '0')
if slot >= 16777216 then return { 'full' } end
redis.call('HSET', meta, 'slots', slot + 1)
local entry = struct.pack('<I3', slot)
for _, tbl in ipairs(tables) do
  -- A key twice in one table appends twice (as the in-memory index does): the later pair holds both.
  local current = {}
  local changes = {}
  for k, field in ipairs(tbl[2]) do
    local v = current[field] or tbl[3][k] or ''
    if v ~= 'F' then
      v = v .. entry
      if #v / 3 > maxBucket then v = 'F' end
      current[field] = v
      changes[#changes + 1] = field
      changes[#changes + 1] = v
    end
  end
  if #changes > 0 then redis.call('HSET', tbl[1], unpack(changes)) end
end
redis.call('SETRANGE', g .. ':slot', slot * 4, struct.pack('<I4', tonumber(num)))
redis.call('HSET', g .. ':img', image, slot .. ':' .. num)
redis.call('SADD', g .. ':mem:' .. num, image)
redis.call('HINCRBY', lin, 'rev', 1)
redis.call('HSET', lin, 'shape', ARGV[11])
if representative then
  local f = redis.call('HMGET', lin, 'reps', 'slots')
  redis.call('HSET', lin, 'reps', f[1] == '' and image or (f[1] .. ' ' .. image), 'slots', f[2] == '' and tostring(slot) or (f[2] .. ' ' .. slot))
  if keepCopy then redis.call('SET', g .. ':sig:' .. num .. ':' .. image, ARGV[14]) end
end
return { 'ok', redis.call('HGET', lin, 'id'), num, tostring(slot) }
`;

/**
 * Takes an image out: its entry and its membership; the lineage goes with its last member, and keeps
 * its id, shape and representatives otherwise. A representative's slot stays live (its bucket entries
 * keep voting for the lineage: it stays the lineage's anchor, and its signature is copied from the
 * result store into the index, since the store forgets it next); any other image's slot is cleared. When
 * the lineage goes, its representatives' slots are cleared too (their bucket entries then count for nothing).
 * ARGV: base, gen, image, store key prefix. Returns {} when unknown, else {lineage id, '1' if the lineage went}.
 */
const REMOVE = `${PRELUDE}
local image = ARGV[3]
local entry = redis.call('HGET', g .. ':img', image)
if not entry then return {} end
local slot, num = string.match(entry, '^(%d+):(%d+)$')
local lin = g .. ':lin:' .. num
local f = redis.call('HMGET', lin, 'id', 'reps', 'slots')
local clear = function(s) redis.call('SETRANGE', g .. ':slot', tonumber(s) * 4, struct.pack('<I4', 0)) end
redis.call('HDEL', g .. ':img', image)
redis.call('SREM', g .. ':mem:' .. num, image)
if redis.call('SCARD', g .. ':mem:' .. num) > 0 then
  -- (By slot, not by hash: a deleted representative analysed again is a new member with a new slot.)
  local anchor = false
  for s in string.gmatch(f[3] or '', '%S+') do
    if s == slot then anchor = true end
  end
  if anchor then
    local copy = g .. ':sig:' .. num .. ':' .. image
    if redis.call('EXISTS', copy) == 0 then
      local stored = redis.call('HGET', ARGV[4] .. image, '${STORED_SIGNATURE.field}')
      if stored then redis.call('SET', copy, stored) end
    end
  else
    clear(slot)
  end
  return { f[1], '0' }
end
clear(slot)
for s in string.gmatch(f[3] or '', '%S+') do clear(s) end
for rep in string.gmatch(f[2] or '', '%S+') do redis.call('DEL', g .. ':sig:' .. num .. ':' .. rep) end
redis.call('DEL', lin)
redis.call('HDEL', g .. ':ids', f[1])
return { f[1], '1' }
`;

/**
 * Ends a rebuild: gives lineages of generation ARGV[2] their final ids and makes it the current one.
 * ARGV: base, gen, then pairs of lineage number and id.
 */
const PUBLISH = `${PRELUDE}
local ids = g .. ':ids'
redis.call('DEL', ids)
for i = 3, #ARGV, 2 do
  redis.call('HSET', g .. ':lin:' .. ARGV[i], 'id', ARGV[i + 1])
  redis.call('HSET', ids, ARGV[i + 1], ARGV[i])
end
redis.call('SET', KEYS[1], gen)
return 'OK'
`;

type Reply = Promise<Array<Buffer | string | number | null>>;

/** The scripts as commands of a connection (ioredis sends EVALSHA, and the source on NOSCRIPT). */
export interface CatalogueCommands {
  catalogueLookupBuffer(key: string, ...args: (string | number | Buffer)[]): Promise<Buffer[]>;
  catalogueCandidatesBuffer(key: string, ...args: (string | number)[]): Promise<Buffer[]>;
  catalogueAssign(key: string, ...args: (string | number | Buffer)[]): Reply;
  catalogueRemove(key: string, ...args: (string | number)[]): Reply;
  cataloguePublish(key: string, ...args: (string | number)[]): Promise<string>;
}

const SCRIPTS = { catalogueLookup: LOOKUP, catalogueCandidates: CANDIDATES, catalogueAssign: ASSIGN, catalogueRemove: REMOVE, cataloguePublish: PUBLISH };

/** Defines the scripts on a connection (once per connection) and returns it typed with them. */
export function withCatalogueCommands(redis: RedisClient): RedisClient & CatalogueCommands {
  const scripted = redis as RedisClient & Partial<CatalogueCommands>;
  if (!scripted.catalogueAssign) {
    for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: 1, lua });
  }
  return scripted as RedisClient & CatalogueCommands;
}

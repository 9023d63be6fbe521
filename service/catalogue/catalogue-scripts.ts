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
 * Assignments a decision may lag behind: the log of recent representatives' keys holds this many
 * slots. A look-up older than that is decided again (at 300 assignments/s that is ~14 s; a decision
 * takes milliseconds).
 */
export const RECENT_WINDOW = 4096;

/**
 * Commits one assignment decided from a look-up, or refuses it when what the decision rests on has
 * changed since: an image indexed after the look-up that shares at least minVotes of the image's
 * bucket keys (it would have been a candidate), or a new revision of the lineage it joins. The caller
 * then looks up again — optimistic concurrency, serialised by Redis. A newer image with fewer votes is
 * no conflict: it could not have been a candidate, so the decision is the one a one-at-a-time order
 * gives. (Any newer entry conflicted once; with 1,600 keys per image, two unrelated images share a
 * bucket by chance about every other time, and a worker deciding slowly kept losing to a faster one.)
 * The newer images' keys come from the log \`<g>:recent\` (slot → packed keys of each representative of
 * the last RECENT_WINDOW slots), not from the buckets: reading the image's 1,600 buckets again was a
 * third of an assignment's Redis time.
 * Only representatives are indexed (their keys appended to the buckets): a join verifies against the
 * representatives alone, and a member that is not one is mostly inside one (its footprint is at least
 * 80% covered), so its keys would vote for the lineage a representative already votes for.
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
local minVotes = tonumber(ARGV[15])
local tables = tonumber(ARGV[16])
local per = tonumber(ARGV[17])
local packed = ARGV[18]
local recent = g .. ':recent'
local slot = tonumber(redis.call('HGET', meta, 'slots') or '0')
if slot >= 16777216 then return { 'full' } end
if seenSlots < slot and per > 0 then
  if slot - seenSlots > ${RECENT_WINDOW} then return { 'retry' } end
  local fields = {}
  for s = seenSlots, slot - 1 do fields[#fields + 1] = s end
  local newer = redis.call('HMGET', recent, unpack(fields))
  local mine
  for _, theirs in ipairs(newer) do
    if theirs then
      -- Votes of a newer image = over tables, its keys' multiplicities in this image's key list.
      if not mine then
        mine = {}
        for t = 0, tables - 1 do mine[t] = {} end
        for o = 0, #packed - 3, 3 do
          local t = math.floor(o / (per * 3))
          local key = string.sub(packed, o + 1, o + 3)
          mine[t][key] = (mine[t][key] or 0) + 1
        end
      end
      local votes = 0
      local theirPer = #theirs / (3 * tables)
      for o = 0, #theirs - 3, 3 do
        votes = votes + (mine[math.floor(o / (theirPer * 3))][string.sub(theirs, o + 1, o + 3)] or 0)
        if votes >= minVotes then return { 'retry' } end
      end
    end
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
redis.call('HSET', meta, 'slots', slot + 1)
redis.call('HDEL', recent, slot - ${RECENT_WINDOW})
if representative and per > 0 then
  redis.call('HSET', recent, slot, packed)
  local entry = struct.pack('<I3', slot)
  for t, fields in ipairs(bucketFields(tables, per, packed)) do
    -- One HMGET and one HSET per table (a redis.call per bucket would cost more than all the rest).
    -- A key twice in one table appends twice (as the in-memory index does): the later pair holds both.
    local key = g .. ':lsh:' .. (t - 1)
    local values = redis.call('HMGET', key, unpack(fields))
    local current = {}
    local changes = {}
    for k, field in ipairs(fields) do
      local v = current[field] or values[k] or ''
      if v ~= 'F' then
        v = v .. entry
        if #v / 3 > maxBucket then v = 'F' end
        current[field] = v
        changes[#changes + 1] = field
        changes[#changes + 1] = v
      end
    end
    if #changes > 0 then redis.call('HSET', key, unpack(changes)) end
  end
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

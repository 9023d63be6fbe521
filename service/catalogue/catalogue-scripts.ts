import type { RedisClient } from '../queue/redis-connection.ts';
import { STORED_SIGNATURE } from '../store/result-store.ts';
import { NO_BUCKET_FIELD, PENDING_SLOT } from './catalogue-keys.ts';

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
 * Reservations (layout 4): an image takes its slot and writes its bucket entries at its look-up, while
 * the buckets it has just read are in the CPU's caches, and its lineage is filled in at the commit.
 * Reading and appending in two scripts cost two cold visits of each of its 1,600 bucket fields (~2 µs
 * each on this machine, whatever the command); one visit and a warm append cost about half.
 * A reserved slot maps to PENDING in `<g>:slot`; `<g>:pend` holds `i<image>` → slot and `s<slot>` → the
 * reservation's time (ms, Redis's clock). Slot order is the order of decisions: an image decides only
 * once every older reservation it has minVotes votes for has committed (it would be a candidate, or a
 * voted representative of one), and never sees younger ones (they wait for it). A reservation older than
 * the lease counts as abandoned (a killed worker whose job did not come back): the others stop waiting
 * for it, and its owner, if it comes back, gives the slot up (like a removed image's) and reserves anew.
 */
const RESERVATIONS = `
local PENDING = ${PENDING_SLOT}
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function release(pend, slot, image)
  redis.call('SETRANGE', g .. ':slot', tonumber(slot) * 4, struct.pack('<I4', 0))
  redis.call('HDEL', pend, 'i' .. image, 's' .. slot)
end
`;

/**
 * The look-up, the first round trip of an assignment: the image's own entry when it is known, else its
 * reservation (a new slot, or the one it holds already: a retried job, the same image twice at once) and
 * the contents of the image's buckets before its own entries. A new reservation appends its slot to
 * every bucket in the same pass, but for the field of a repeated key (NO_BUCKET_FIELD: the worker marks
 * a key an image has twice in one table, so the image is in that bucket once and the bucket votes once,
 * as in the in-memory index), which no table has: read as an empty bucket, never written.
 * ARGV: base, gen, image, version, lease ms, tables, keys per table, packed keys, max bucket size.
 * Returns {'have', gen, entry} | {'version', gen, stored} | {'full'} | {'ok', gen, slot, contents of the
 * buckets back to back, their lengths (little-endian uint16)}.
 */
const RESERVE = `${PRELUDE}${BUCKET_FIELDS}${RESERVATIONS}
local meta = g .. ':meta'
local pend = g .. ':pend'
local image = ARGV[3]
local have = redis.call('HGET', g .. ':img', image)
if have then return { 'have', gen, have } end
local version = redis.call('HGET', meta, 'version')
if version and version ~= ARGV[4] then return { 'version', gen, version } end
local at = now()
local slot = redis.call('HGET', pend, 'i' .. image)
if slot and at - tonumber(redis.call('HGET', pend, 's' .. slot) or '0') >= tonumber(ARGV[5]) then
  release(pend, slot, image)
  slot = false
end
local per = tonumber(ARGV[7])
local tables = per > 0 and bucketFields(tonumber(ARGV[6]), per, ARGV[8]) or {}
-- The buckets' contents back to back and their lengths: two strings, not 1,600 (the worker parsed a
-- reply element per bucket in more time than Redis took to read it). The lengths as little-endian
-- uint16 (a bucket holds at most maxBucket 3-byte entries), packed by one call: as decimal text,
-- formatting 1,600 numbers took Redis ~0.35 ms per look-up.
-- Inlined, counted loops (no helper call, no # of a growing table per field): ~6 statements per field
-- of 1,600 are the script's own share of a look-up.
local contents = {}
local lengths = {}
local kept = 0
local function packedLengths()
  return struct.pack('<' .. string.rep('H', kept), unpack(lengths))
end
if slot then
  redis.call('HSET', pend, 's' .. slot, at)
  for t, fields in ipairs(tables) do
    local values = redis.call('HMGET', g .. ':lsh:' .. (t - 1), unpack(fields))
    for k = 1, per do
      local v = values[k] or ''
      kept = kept + 1
      contents[kept] = v
      lengths[kept] = #v
    end
  end
  return { 'ok', gen, slot, table.concat(contents), packedLengths() }
end
local n = tonumber(redis.call('HGET', meta, 'slots') or '0')
if n >= 16777216 then return { 'full' } end
redis.call('HSET', meta, 'slots', n + 1)
slot = tostring(n)
local maxBytes = tonumber(ARGV[9]) * 3
local entry = struct.pack('<I3', n)
local repeated = struct.pack('<I3', ${NO_BUCKET_FIELD})
for t, fields in ipairs(tables) do
  local key = g .. ':lsh:' .. (t - 1)
  local values = redis.call('HMGET', key, unpack(fields))
  local changes = {}
  local c = 0
  for k = 1, per do
    local field = fields[k]
    local before = values[k] or ''
    kept = kept + 1
    contents[kept] = before
    lengths[kept] = #before
    if before ~= 'F' and field ~= repeated then
      local v = before .. entry
      if #v > maxBytes then v = 'F' end
      changes[c + 1] = field
      changes[c + 2] = v
      c = c + 2
    end
  end
  if c > 0 then redis.call('HSET', key, unpack(changes)) end
end
redis.call('SETRANGE', g .. ':slot', n * 4, struct.pack('<I4', PENDING))
redis.call('HSET', pend, 'i' .. image, slot, 's' .. slot, at)
return { 'ok', gen, slot, table.concat(contents), packedLengths() }
`;

/**
 * The live reservations older than the image's own (space-separated slots: the caller waits while it
 * has minVotes votes for one of them), then the lineages of the most voted slots, in vote order, until
 * \`limit\` distinct ones: number, id, revision, shape, representatives and their slots, then per
 * representative its signature — only the root's and those of representatives among the voted slots,
 * the ones the join verifies (the result store's, or the index's own copy; '' for the others, which the
 * join never reads). Read-only; repeated, without a new look-up, after a wait or a conflict.
 * ARGV: base, gen, store key prefix, limit, own slot, lease ms, slots…
 */
const CANDIDATES = `${PRELUDE}${RESERVATIONS}
local store = ARGV[3]
local limit = tonumber(ARGV[4])
local own = tonumber(ARGV[5])
local lease = tonumber(ARGV[6])
local at = now()
local older = {}
local pend = redis.call('HGETALL', g .. ':pend')
for i = 1, #pend, 2 do
  if string.sub(pend[i], 1, 1) == 's' then
    local s = tonumber(string.sub(pend[i], 2))
    if s < own and at - tonumber(pend[i + 1]) < lease then older[#older + 1] = s end
  end
end
local out = { table.concat(older, ' ') }
local voted = {}
for i = 7, #ARGV do voted[ARGV[i]] = true end
local seen = {}
local found = 0
for i = 7, #ARGV do
  if found >= limit then break end
  local offset = tonumber(ARGV[i]) * 4
  local raw = redis.call('GETRANGE', g .. ':slot', offset, offset + 3)
  if #raw == 4 then
    local num = struct.unpack('<I4', raw)
    if num ~= 0 and num ~= PENDING and not seen[num] then
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
 * Commits the decision for a reserved image, or refuses it when what it rests on has changed since the
 * candidates were read: a new revision of the lineage it joins ('retry': the caller reads the candidates
 * again, not the buckets — the entries of older slots do not change). Its bucket entries were written by
 * the reservation; this fills in the slot's lineage, the image's entry and membership. A reservation that
 * is gone or past its lease ('lost') makes the caller reserve again.
 * Every image is indexed, not only representatives: indexing representatives alone (tried, 6 Dec 2026)
 * cut the index's memory and Redis work by about half on the synthetic catalogue, but lost true
 * pairs on lineages/ (eval:catalogue, one worker against LineageIndex.add in the same order: B-cubed
 * recall up to 0.0246 lower) — a newcomer often resembles a member that is no representative more than
 * any representative (same grade), and its votes are what bring the lineage into the candidates.
 * A new representative's signature is copied into the index only when the result store does not hold
 * it (an index used without the service's store): the store keeps every image's signature anyway.
 * ARGV: base, gen, mustBeCurrent, version, image, slot, lease ms, mode ('join'|'new'), num, rev, shape,
 *       becomesRepresentative ('1'|'0'), idBase, signature (base64), store key prefix
 * Returns {'ok', id, num, slot} | {'have', id} | {'retry'} | {'lost'} | {'gen'} | {'version', stored}
 * | {'signature'} (send the signature: the store does not hold it).
 */
const ASSIGN = `${PRELUDE}${RESERVATIONS}
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
local pend = g .. ':pend'
local slot = ARGV[6]
if redis.call('HGET', pend, 'i' .. image) ~= slot then return { 'lost' } end
if now() - tonumber(redis.call('HGET', pend, 's' .. slot) or '0') >= tonumber(ARGV[7]) then
  release(pend, slot, image)
  return { 'lost' }
end
local mode = ARGV[8]
-- A new representative needs its signature: the store's, or the one sent (the caller sends none when it
-- read the image's from the store; if the store has lost it since, it is asked for).
local representative = mode == 'new' or ARGV[12] == '1'
local keepCopy = representative and redis.call('HEXISTS', ARGV[15] .. image, '${STORED_SIGNATURE.field}') == 0
if keepCopy and ARGV[14] == '' then return { 'signature' } end
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
redis.call('SETRANGE', g .. ':slot', tonumber(slot) * 4, struct.pack('<I4', tonumber(num)))
redis.call('HDEL', pend, 'i' .. image, 's' .. slot)
redis.call('HSET', g .. ':img', image, slot .. ':' .. num)
redis.call('SADD', g .. ':mem:' .. num, image)
redis.call('HINCRBY', lin, 'rev', 1)
redis.call('HSET', lin, 'shape', ARGV[11])
if representative then
  local f = redis.call('HMGET', lin, 'reps', 'slots')
  redis.call('HSET', lin, 'reps', f[1] == '' and image or (f[1] .. ' ' .. image), 'slots', f[2] == '' and slot or (f[2] .. ' ' .. slot))
  if keepCopy then redis.call('SET', g .. ':sig:' .. num .. ':' .. image, ARGV[14]) end
end
return { 'ok', redis.call('HGET', lin, 'id'), num, slot }
`;

/**
 * Takes an image out: its entry and its membership; the lineage goes with its last member, and keeps
 * its id, shape and representatives otherwise. A representative's slot stays live (its bucket entries
 * keep voting for the lineage: it stays the lineage's anchor, and its signature is copied from the
 * result store into the index, since the store forgets it next); any other image's slot is cleared. When
 * the lineage goes, its representatives' slots are cleared too (their bucket entries then count for nothing).
 * The image also leaves the generation a rebuild is filling (`<prefix>:cat:rebuilding`): the rebuild
 * read it from the store before, and publishing would bring it back.
 * ARGV: base, gen, image, store key prefix, and the store's set of image hashes ('' = leave the store
 * alone; else the image leaves the store in the same step, so no assignment can slip between the two).
 * Returns {} when unknown to the index and the store is left alone, else {lineage id or '', '1' if the
 * lineage went, and with a store: '1' if the store held the image}.
 */
const REMOVE = `${PRELUDE}
local image = ARGV[3]
local function removeFrom(g)
  local entry = redis.call('HGET', g .. ':img', image)
  if not entry then return nil end
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
end
local out = removeFrom(g)
local rebuilding = redis.call('GET', base .. ':rebuilding')
if rebuilding and rebuilding ~= gen then removeFrom(base .. ':' .. rebuilding) end
if ARGV[5] == '' then return out or {} end
local stored = redis.call('DEL', ARGV[4] .. image)
redis.call('SREM', ARGV[5], image)
return { out and out[1] or '', out and out[2] or '0', tostring(stored) }
`;

/**
 * Ends a rebuild: gives lineages of generation ARGV[2] their final ids, makes it the current one and
 * drops the rebuild mark (deletes no longer need to reach it).
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
redis.call('DEL', base .. ':rebuilding')
return 'OK'
`;

type Reply = Promise<Array<Buffer | string | number | null>>;

/** The scripts as commands of a connection (ioredis sends EVALSHA, and the source on NOSCRIPT). */
export interface CatalogueCommands {
  catalogueReserveBuffer(key: string, ...args: (string | number | Buffer)[]): Promise<Buffer[]>;
  catalogueCandidatesBuffer(key: string, ...args: (string | number)[]): Promise<Buffer[]>;
  catalogueAssign(key: string, ...args: (string | number | Buffer)[]): Reply;
  catalogueRemove(key: string, ...args: (string | number)[]): Reply;
  cataloguePublish(key: string, ...args: (string | number)[]): Promise<string>;
}

const SCRIPTS = { catalogueReserve: RESERVE, catalogueCandidates: CANDIDATES, catalogueAssign: ASSIGN, catalogueRemove: REMOVE, cataloguePublish: PUBLISH };

/** Defines the scripts on a connection (once per connection) and returns it typed with them. */
export function withCatalogueCommands(redis: RedisClient): RedisClient & CatalogueCommands {
  const scripted = redis as RedisClient & Partial<CatalogueCommands>;
  if (!scripted.catalogueAssign) {
    for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: 1, lua });
  }
  return scripted as RedisClient & CatalogueCommands;
}

-- Evicts one tag at a commit position: the per-tag step of an eviction, in the tag's slot.
-- KEYS[1] = the tag's registry, KEYS[2] = its version, KEYS[3] = its position,
-- KEYS[4] = its drain set, KEYS[5] = a drain key unique to this eviction (cp:tag:{..}:gone:<token>)
-- ARGV[1] = how long the version and position are kept, in ms
-- ARGV[2] = the commit position of the change evicted, or '' to evict whatever the position (the
--           flush of the whole cache, which also forgets the position)
-- ARGV[3] = the most entries deleted in one step (a chunk)
-- ARGV[4] = '1' to delete the entries here (a Redis server), '0' to return them for the caller to
--           delete (Redis Cluster, where they live in other slots)
-- Returns {applied, d, drain keys (d of them)..., entry keys...}:
--   applied: 1, or 0 if the tag was already evicted at this position or a later one (a replay,
--            or another evictor was first); then no version moves and no entry is deleted here
--   drain keys: the tag's registries moved aside by evictions whose deletion is not finished,
--            this one's included; the caller deletes them chunk by chunk (evict_chunk.lua)
--   entry keys: this eviction's registry, if it fit in one chunk: the keys that existed and were
--            deleted ('1'), or every key for the caller to delete ('0')
--
-- The version is bumped in the same step that takes the registry away, so a fill that read its
-- versions before this step never writes after it, and a fill after it registers into a fresh
-- registry that this eviction never deletes. A registry larger than a chunk is renamed to the drain
-- key rather than deleted at once, so no step blocks Redis for long. Positions are decimal WAL
-- positions below 2^53, exact in Lua's doubles.
-- Redis keeps a script's writes before an error: a key of the wrong type (something else wrote it)
-- must stop the step before it writes anything, or the position would say "evicted" while the
-- entries stay, and every later eviction at that position would be skipped.
local types = {[1] = 'zset', [2] = 'string', [3] = 'string', [4] = 'set'}
for i, want in pairs(types) do
  local found = redis.call('TYPE', KEYS[i])['ok']
  if found ~= 'none' and found ~= want then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' holds a ' .. found .. ', not a ' .. want)
  end
end
local position = ARGV[2]
local stored = redis.call('GET', KEYS[3])
local applied = position == '' or not stored or tonumber(stored) < tonumber(position)
local entries = {}
if applied then
  local ttl = tonumber(ARGV[1])
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ttl)
  if position == '' then
    redis.call('DEL', KEYS[3])
  else
    redis.call('SET', KEYS[3], position, 'PX', ttl)
  end
  if redis.call('ZCARD', KEYS[1]) <= tonumber(ARGV[3]) then
    for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
      if ARGV[4] == '0' or redis.call('UNLINK', key) == 1 then
        entries[#entries + 1] = key
      end
    end
    redis.call('UNLINK', KEYS[1])
  else
    redis.call('RENAME', KEYS[1], KEYS[5])
    redis.call('SADD', KEYS[4], KEYS[5])
    -- The drain set outlives every drain key in it (each expires with its last entry).
    local keep = math.max(ttl, redis.call('PTTL', KEYS[5]))
    if redis.call('PTTL', KEYS[4]) < keep then
      redis.call('PEXPIRE', KEYS[4], keep)
    end
  end
end
local drains = redis.call('SMEMBERS', KEYS[4])
local reply = {applied and 1 or 0, #drains}
for _, drain in ipairs(drains) do
  reply[#reply + 1] = drain
end
for _, key in ipairs(entries) do
  reply[#reply + 1] = key
end
return reply

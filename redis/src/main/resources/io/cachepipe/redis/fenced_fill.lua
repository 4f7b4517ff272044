-- Fills one entry if none of the versions it is fenced by moved since the reader took them: its
-- tags' versions and the cache epoch (a version with no registry, bumped to flush every entry).
-- KEYS[1] = entry key, KEYS[2..n+1] = the version keys, KEYS[n+2..n+m+1] = the tags' registries
-- ARGV[1] = value (JSON), ARGV[2] = TTL in ms, ARGV[3] = n, ARGV[4] = m, ARGV[5..n+4] = the
--           versions read before the value was loaded ('0' for a version never bumped)
-- Returns 1 if written, 0 if a version moved (the value may be stale: it is dropped).
--
-- A registry is a sorted set of entry keys scored by when each entry expires (ms since the epoch,
-- Redis' clock). Each registration first prunes a bounded number of expired members, so a
-- registry never holds many more members than live entries, and the registry itself expires with
-- its latest-expiring member.
local PRUNE = 100

local function register(registry, key, now, expiry)
  local expired = redis.call('ZCOUNT', registry, '-inf', now)
  if expired > 0 then
    redis.call('ZREMRANGEBYRANK', registry, 0, math.min(expired, PRUNE) - 1)
  end
  redis.call('ZADD', registry, expiry, key)
  local last = redis.call('ZRANGE', registry, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', registry, last[2])
end

local n = tonumber(ARGV[3])
local m = tonumber(ARGV[4])
for i = 1, n do
  local current = redis.call('GET', KEYS[1 + i]) or '0'
  if current ~= ARGV[4 + i] then
    return 0
  end
end
local ttl = tonumber(ARGV[2])
if not ttl or ttl <= 0 then
  return redis.error_reply("ERR invalid expire time in 'set' command")
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local expiry = string.format('%.0f', now + ttl)
-- Registered first, written last: Redis keeps a script's writes before an error, and a registry of
-- the wrong type (WRONGTYPE) must stop the fill before the entry exists, never leave an entry no
-- eviction of that tag would find. A registration without an entry is harmless.
for j = 1, m do
  register(KEYS[1 + n + j], KEYS[1], string.format('%.0f', now), expiry)
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
return 1

-- Fills one entry if none of the versions it is fenced by moved since the reader took them: its
-- tags' versions and the cache epoch (a version with no registry, bumped to flush every entry).
-- KEYS[1] = entry key, KEYS[2..n+1] = the version keys, KEYS[n+2..n+m+1] = the tags' registries
-- ARGV[1] = value (JSON), ARGV[2] = TTL in ms, ARGV[3] = n, ARGV[4] = m, ARGV[5..n+4] = the
--           versions read before the value was loaded ('0' for a version never bumped)
-- Returns 1 if written, 0 if a version moved (the value may be stale: it is dropped).
local n = tonumber(ARGV[3])
local m = tonumber(ARGV[4])
for i = 1, n do
  local current = redis.call('GET', KEYS[1 + i]) or '0'
  if current ~= ARGV[4 + i] then
    return 0
  end
end
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
for j = 1, m do
  local registry = KEYS[1 + n + j]
  redis.call('SADD', registry, KEYS[1])
  -- A registry lives as long as its longest-lived entry, so it never outgrows the cache.
  if redis.call('PTTL', registry) < ttl then
    redis.call('PEXPIRE', registry, ttl)
  end
end
return 1

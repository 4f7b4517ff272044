-- Fills one entry if none of its tags was evicted since the reader took their versions.
-- KEYS[1] = entry key, KEYS[2..n+1] = the tags' version keys, KEYS[n+2..2n+1] = their registries
-- ARGV[1] = value (JSON), ARGV[2] = TTL in ms, ARGV[3] = n, ARGV[4..n+3] = versions read before
--           the value was loaded ('0' for a tag never evicted)
-- Returns 1 if written, 0 if a version moved (the value may be stale: it is dropped).
local n = tonumber(ARGV[3])
for i = 1, n do
  local current = redis.call('GET', KEYS[1 + i]) or '0'
  if current ~= ARGV[3 + i] then
    return 0
  end
end
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
for i = 1, n do
  local registry = KEYS[1 + n + i]
  redis.call('SADD', registry, KEYS[1])
  -- A registry lives as long as its longest-lived entry, so it never outgrows the cache.
  if redis.call('PTTL', registry) < ttl then
    redis.call('PEXPIRE', registry, ttl)
  end
end
return 1

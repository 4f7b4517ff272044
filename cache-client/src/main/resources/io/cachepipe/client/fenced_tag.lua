-- Redis Cluster mode: the fence of one version key of an entry's fill, in that key's slot.
-- KEYS[1] = a version key, KEYS[2] = the tag's registry (absent for a version key with none)
-- ARGV[1] = the version read before the value was loaded ('0' for a key never bumped),
-- ARGV[2] = the entry key, ARGV[3] = the entry's TTL in ms
-- Returns 1 if the version has not moved (the entry key is then registered under the tag), else 0.
--
-- The entry itself is written after every fence of its fill returned 1, in its own slot, with the
-- versions read embedded; a read compares them with the current ones, so an eviction that runs
-- between this step and that write (bumping the version first) makes the entry a miss.
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then
  return 0
end
if KEYS[2] then
  local ttl = tonumber(ARGV[3])
  redis.call('SADD', KEYS[2], ARGV[2])
  -- A registry lives as long as its longest-lived entry, so it never outgrows the cache.
  if redis.call('PTTL', KEYS[2]) < ttl then
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
end
return 1

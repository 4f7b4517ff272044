-- Redis Cluster mode: the fence of one version key of an entry's fill, in that key's slot.
-- KEYS[1] = a version key, KEYS[2] = the tag's registry (absent for a version key with none)
-- ARGV[1] = the version read before the value was loaded ('0' for a key never bumped),
-- ARGV[2] = the entry key, ARGV[3] = the entry's TTL in ms
-- Returns 1 if the version has not moved (the entry key is then registered under the tag), else 0.
--
-- The entry itself is written after every fence of its fill returned 1, in its own slot, with the
-- versions read embedded; a read compares them with the current ones, so an eviction that runs
-- between this step and that write (bumping the version first) makes the entry a miss. The
-- registry is kept as by fenced_fill.lua: scored by expiry, pruned, expiring with its last member.
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

if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then
  return 0
end
if KEYS[2] then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  register(KEYS[2], ARGV[2], string.format('%.0f', now), string.format('%.0f', now + tonumber(ARGV[3])))
end
return 1

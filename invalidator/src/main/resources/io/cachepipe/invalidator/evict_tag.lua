-- Evicts one tag in one atomic step.
-- KEYS[1] = the tag's registry (set of entry keys), KEYS[2] = the tag's version
-- ARGV[1] = how long the version is kept, in ms
-- Returns the registered keys that still existed.
--
-- The version is bumped in the same step that deletes the entries, so a fill that read its tag
-- versions before this step can never write after it (see the cache-client's fill script). The
-- version must outlive any fill: fills older than their deadline are dropped, and the version TTL
-- is far longer than that deadline.
local members = redis.call('SMEMBERS', KEYS[1])
local live = {}
for _, key in ipairs(members) do
  if redis.call('UNLINK', key) == 1 then
    live[#live + 1] = key
  end
end
redis.call('UNLINK', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return live

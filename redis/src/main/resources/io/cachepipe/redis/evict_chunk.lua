-- Deletes the next chunk of a registry that an eviction moved aside (see evict_tag.lua), in the
-- tag's slot.
-- KEYS[1] = the tag's drain set, KEYS[2] = the drain key, KEYS[3] = the tag's registry
-- ARGV[1] = the most entries in the chunk
-- ARGV[2] = '1' to delete the entries here (a Redis server), '0' to return them for the caller to
--           delete (Redis Cluster)
-- Returns {left, entry keys...}: how many members the drain key has left (at 0 it is gone and off
-- the drain set), then the chunk's keys that existed and were deleted ('1'), or those the caller
-- must delete ('0').
--
-- A key registered again under the tag since the eviction was filled after its version bump, so it
-- is fresh: it is kept. Any evictor of the tag may run this, concurrently with another: each chunk
-- is taken off the drain key in the step that deletes it.
local members = redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1)
local entries = {}
for _, key in ipairs(members) do
  if not redis.call('ZSCORE', KEYS[3], key) then
    if ARGV[2] == '0' or redis.call('UNLINK', key) == 1 then
      entries[#entries + 1] = key
    end
  end
end
if #members > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, #members - 1)
end
local left = redis.call('ZCARD', KEYS[2])
if left == 0 then
  redis.call('SREM', KEYS[1], KEYS[2])
end
local reply = {left}
for _, key in ipairs(entries) do
  reply[#reply + 1] = key
end
return reply

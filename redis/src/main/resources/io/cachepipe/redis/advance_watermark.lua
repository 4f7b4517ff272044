-- Advances the read-your-writes watermark.
-- KEYS[1] = the watermark's parts (hash: "<invalidations partition>/<changes partition>" -> LSN)
-- KEYS[2] = the watermark (the lowest part, once every part has reported)
-- KEYS[3..] = optional: drain sets of the evicted tags (cp:tag:{..}:gone), which must be empty
-- ARGV[1] = how many parts there are; ARGV[2], ARGV[3], ... = part, LSN, part, LSN, ...
-- Returns the watermark, -1 while some part has not reported, or -3 (nothing moved) if a drain set
-- is not empty: an eviction it covers is still deleting entries in chunks.
--
-- Runs after the evictions it covers, in the same pipeline on the same connection, so Redis has
-- applied them when a part moves; or, after evictions that left drains, once they are done. Parts
-- and the watermark only move forward. LSNs are below 2^53, so Lua's doubles hold them exactly.
for k = 3, #KEYS do
  if redis.call('EXISTS', KEYS[k]) == 1 then
    return -3
  end
end
for i = 2, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current or tonumber(current) < tonumber(ARGV[i + 1]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
if redis.call('HLEN', KEYS[1]) < tonumber(ARGV[1]) then
  return -1
end
local lowest = nil
for _, value in ipairs(redis.call('HVALS', KEYS[1])) do
  local n = tonumber(value)
  if lowest == nil or n < lowest then
    lowest = n
  end
end
local watermark = tonumber(redis.call('GET', KEYS[2]) or '-1')
if lowest > watermark then
  redis.call('SET', KEYS[2], string.format('%.0f', lowest))
  return lowest
end
return watermark

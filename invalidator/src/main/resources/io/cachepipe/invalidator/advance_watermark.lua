-- Advances the read-your-writes watermark.
-- KEYS[1] = the watermark's parts (hash: "<invalidations partition>/<changes partition>" -> LSN)
-- KEYS[2] = the watermark (the lowest part, once every part has reported)
-- ARGV[1] = how many parts there are; ARGV[2], ARGV[3], ... = part, LSN, part, LSN, ...
-- Returns the watermark, or -1 while some part has not reported.
--
-- Runs after the evictions it covers, in the same pipeline on the same connection, so Redis has
-- applied them when a part moves. Parts and the watermark only move forward. LSNs are below 2^53,
-- so Lua's doubles hold them exactly.
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

-- Releases a warm lease if the token still holds it (it may have expired and been taken by another).
-- KEYS[1] = the lease, ARGV[1] = the token its holder got
-- Returns 1 if released, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

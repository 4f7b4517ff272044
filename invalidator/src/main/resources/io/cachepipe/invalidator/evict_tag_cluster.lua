-- Redis Cluster mode: the per-tag part of an eviction, in the tag's slot.
-- KEYS[1] = the tag's registry (set of entry keys), KEYS[2] = the tag's version
-- ARGV[1] = how long the version is kept, in ms
-- Returns the registered entry keys; the caller deletes them (they live in other slots).
--
-- The version is bumped first: from this step on, every entry filled against the old version is
-- a miss to readers (cluster entries carry the versions they were filled against), so a crash
-- before the caller deleted the entries leaves nothing that can be served.
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('UNLINK', KEYS[1])
return members

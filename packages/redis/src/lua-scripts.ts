import { createHash } from "node:crypto";

/** A Lua script and its SHA-1, for EVALSHA with an EVAL fallback. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): LuaScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

// Every script takes KEYS = [state hash, expiry zset, meta hash]. The epoch is created on first
// use; a new epoch tells every view that the state it knew was lost (a restart without
// persistence, a flush) so that it puts back what it knew.
const ENSURE_EPOCH = `
local epoch = redis.call('HGET', KEYS[3], 'epoch')
if not epoch then
  epoch = ARGV[2]
  redis.call('HSET', KEYS[3], 'epoch', epoch)
end`;

// Sets one record, bumps the version and publishes the change, all in one atomic step, so that
// the channel carries changes in version order.
const SET_RECORD = `
local function set_record(id, json, expires_at, epoch, channel)
  local ver = redis.call('HINCRBY', KEYS[3], 'ver', 1)
  local s = 'null'
  if json then
    redis.call('HSET', KEYS[1], id, json)
    if expires_at ~= '' then
      redis.call('ZADD', KEYS[2], expires_at, id)
    else
      redis.call('ZREM', KEYS[2], id)
    end
    s = json
  else
    redis.call('HDEL', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
  end
  redis.call('PUBLISH', channel,
    '{"e":' .. cjson.encode(epoch) .. ',"v":' .. ver .. ',"id":' .. cjson.encode(id) .. ',"s":' .. s .. '}')
  return ver
end
local function state_of(json)
  if not json then return nil end
  return cjson.decode(json)['state']
end`;

/**
 * One change: ARGV = now (epoch ms), epoch candidate, channel, op (revoke | pause | resume), id,
 * status JSON, expiresAt (or ''). Revocation is final here, under any interleaving: `pause` only
 * applies to a context with no record, `resume` only to a paused one, and `revoke` never to one
 * already revoked. Also forgets a few records of expired contexts. Returns
 * `{changed, ver, epoch, current status JSON or nil}` — `ver` is the new version when changed, the
 * latest version otherwise.
 */
export const WRITE_SCRIPT = script(`${ENSURE_EPOCH}
${SET_RECORD}
local op, id = ARGV[4], ARGV[5]
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 16)
for _, old in ipairs(expired) do
  if old ~= id then
    redis.call('HDEL', KEYS[1], old)
    redis.call('ZREM', KEYS[2], old)
  end
end
local cur = redis.call('HGET', KEYS[1], id)
local state = state_of(cur)
local changed
if op == 'revoke' then
  changed = state ~= 'revoked'
elseif op == 'pause' then
  changed = state == nil
elseif op == 'resume' then
  changed = state == 'paused'
else
  return redis.error_reply('unknown op ' .. op)
end
if not changed then
  return {0, tonumber(redis.call('HGET', KEYS[3], 'ver') or '0'), epoch, cur}
end
local json = false
if op ~= 'resume' then json = ARGV[6] end
local ver = set_record(id, json, ARGV[7], epoch, ARGV[3])
return {1, ver, epoch, json}
`);

/**
 * The whole state with its version and epoch, atomically: `{epoch, ver, [id, json, id, json…]}`.
 * ARGV = now, epoch candidate.
 */
export const SNAPSHOT_SCRIPT = script(`${ENSURE_EPOCH}
return {epoch, tonumber(redis.call('HGET', KEYS[3], 'ver') or '0'), redis.call('HGETALL', KEYS[1])}
`);

/**
 * Puts records back after the state was lost: ARGV = now, epoch candidate, channel, then triples
 * (id, status JSON, expiresAt or ''). A revocation is put back over anything but a revocation; a
 * pause only where there is no record. Returns the number of records written.
 */
export const RESTORE_SCRIPT = script(`${ENSURE_EPOCH}
${SET_RECORD}
local n = 0
for i = 4, #ARGV, 3 do
  local id, json, expires_at = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local want = state_of(json)
  local state = state_of(redis.call('HGET', KEYS[1], id))
  if (want == 'revoked' and state ~= 'revoked') or (want == 'paused' and state == nil) then
    set_record(id, json, expires_at, epoch, ARGV[3])
    n = n + 1
  end
end
return n
`);

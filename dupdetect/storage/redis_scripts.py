"""The Lua scripts of :class:`dupdetect.storage.RedisStorage` (each runs atomically in the server).

Numbers travel as strings (Lua's number formatting would round epoch seconds); the namespace
prefix is passed in ARGV, the keys are built from it.
"""

from __future__ import annotations

__all__ = ["CANDIDATES", "COMMIT", "UNION"]

# KEYS[1] = the low-byte hash, KEYS[2] = the identity key, KEYS[3..] = the bucket sets;
# ARGV[1] = the identity this writer bound to. The union of the buckets and the packed low bytes
# of each member, in one round trip (HMGET in chunks: Lua's unpack() stack limit). Replies are
# flat strings (numbers with an entry, their entries concatenated, numbers without one, and '1'
# when the identity still matches): a client parses 4 bulk strings, not 2 per proposal. What a
# writer asks while it has few of the entries (a fresh process); then UNION.
CANDIDATES = """
local same = redis.call('GET', KEYS[2]) == ARGV[1] and '1' or '0'
local nums = redis.call('SUNION', unpack(KEYS, 3))
local have, sigs, lost = {}, {}, {}
for i = 1, #nums, 4000 do
  local last = math.min(i + 3999, #nums)
  local part = redis.call('HMGET', KEYS[1], unpack(nums, i, last))
  for j = 1, #part do
    if part[j] then
      have[#have + 1] = nums[i + j - 1]
      sigs[#sigs + 1] = part[j]
    else
      lost[#lost + 1] = nums[i + j - 1]
    end
  end
end
return {table.concat(have, ','), table.concat(sigs), table.concat(lost, ','), same}
"""

# KEYS[1] = the identity key, KEYS[2..] = the bucket sets; ARGV[1] = the identity this writer
# bound to. The union of the buckets (numbers joined by ',') and '1' when the identity still
# matches, in one atomic step: the writer has the low-byte entries of most proposals already and
# fetches only the others (RedisStorage.candidates).
UNION = """
local same = redis.call('GET', KEYS[1]) == ARGV[1] and '1' or '0'
return {table.concat(redis.call('SUNION', unpack(KEYS, 2)), ','), same}
"""

# The whole write of one Change, atomic. ARGV[1] = namespace, ARGV[2] = the identity this writer
# bound to, ARGV[3] = the plan (JSON, numbers as strings), ARGV[4..] = packed record and signature
# of each insert. Checks first (nothing is written when one fails), then deletes (reading each
# document's story *now*), inserts, moves (merges), events, watermark (a max), version (returned:
# the commit's place in the namespace's order of commits).
COMMIT = """
local ns = ARGV[1]
local function k(s) return ns .. ':' .. s end
local ident = redis.call('GET', k('id'))
if ident ~= ARGV[2] then return {'lost', ident or ''} end
local plan = cjson.decode(ARGV[3])
local deleting = {}
for _, d in ipairs(plan.del) do deleting[d[1]] = true end
for _, ins in ipairs(plan.ins) do
  local held = redis.call('HGET', k('ids'), ins[2])
  if held == ins[1] then return {'done'} end  -- a retried commit that had gone through
  if held and not deleting[held] then return {'exists', ins[2]} end
end
local function leave(story, num)
  redis.call('SREM', k('s:' .. story), num)
  if redis.call('SCARD', k('s:' .. story)) == 0 then  -- gone, with the ids it had absorbed
    redis.call('ZREM', k('stories'), story)
    for _, o in ipairs(redis.call('SMEMBERS', k('abs:' .. story))) do
      redis.call('HDEL', k('ret'), o)
    end
    redis.call('DEL', k('abs:' .. story))
  end
end
for _, d in ipairs(plan.del) do
  local num = d[1]
  local story = redis.call('HGET', k('sto'), num)
  if story then
    redis.call('HDEL', k('rec'), num)
    redis.call('HDEL', k('low'), num)
    redis.call('HDEL', k('sig'), num)  -- written by versions before the low hash
    redis.call('HDEL', k('sto'), num)
    if redis.call('HGET', k('ids'), d[2]) == num then redis.call('HDEL', k('ids'), d[2]) end
    redis.call('ZREM', k('t'), num)
    for _, b in ipairs(d[3]) do redis.call('SREM', b, num) end
    leave(story, num)
  end
end
for i, ins in ipairs(plan.ins) do
  local num, story = ins[1], ins[3]
  redis.call('HSET', k('rec'), num, ARGV[2 + 2 * i])
  if ins[6] == '1' then redis.call('HSET', k('low'), num, ARGV[3 + 2 * i]) end
  redis.call('HSET', k('sto'), num, story)
  redis.call('HSET', k('ids'), ins[2], num)
  redis.call('SADD', k('s:' .. story), num)
  redis.call('ZADD', k('stories'), ins[4], story)
  redis.call('ZADD', k('t'), ins[5], num)
  for _, b in ipairs(ins[7]) do redis.call('SADD', b, num) end
end
for _, m in ipairs(plan.mov) do
  local retired, survivor = m[2], m[3]
  for _, n in ipairs(m[1]) do
    redis.call('SADD', k('s:' .. survivor), n)
    redis.call('HSET', k('sto'), n, survivor)
  end
  redis.call('DEL', k('s:' .. retired))
  redis.call('ZREM', k('stories'), retired)
  local olds = redis.call('SMEMBERS', k('abs:' .. retired))
  olds[#olds + 1] = retired
  for _, o in ipairs(olds) do
    redis.call('HSET', k('ret'), o, survivor)
    redis.call('SADD', k('abs:' .. survivor), o)
  end
  redis.call('DEL', k('abs:' .. retired))
end
for _, e in ipairs(plan.ev) do redis.call('RPUSH', k('events'), e) end
if #plan.ev > 0 then redis.call('LTRIM', k('events'), -tonumber(plan.keep), -1) end
if plan.wm then
  local cur = redis.call('GET', k('wm'))
  if not cur or tonumber(plan.wm) > tonumber(cur) then redis.call('SET', k('wm'), plan.wm) end
end
return {'ok', redis.call('INCR', k('v'))}
"""

#!lua name=reco
-- reco's Redis Functions library: request flows built from the native commands, so an
-- application makes one call (FCALL) where it would otherwise make two or three round
-- trips and race with itself between them. Load with:
--   redis-cli -x FUNCTION LOAD REPLACE < lua/reco.lua
-- Every function declares the user key it touches, so it routes like RECO.RECOMMEND in a
-- cluster; catalogs are node-level and need no key.

-- FCALL reco_feed 1 <user-key> <catalog> <K> [RECO.RECOMMEND options...]
-- One page of an endless feed: recommend, then mark what was shown as seen, so the next
-- page never repeats it. Returns the item ids.
local function feed(keys, args)
  if #keys ~= 1 or #args < 2 then
    return redis.error_reply('ERR usage: FCALL reco_feed 1 <user-key> <catalog> <K> [options...]')
  end
  local cmd = {'RECO.RECOMMEND', args[1], keys[1], args[2]}
  for i = 3, #args do
    local a = string.upper(args[i])
    if a == 'WITHSCORES' or a == 'EXPLAIN' then
      return redis.error_reply('ERR reco_feed returns ids only; ' .. a .. ' is not supported')
    end
    cmd[#cmd + 1] = args[i]
  end
  local ids = redis.call(unpack(cmd))
  if #ids > 0 then
    redis.call('RECO.USER.SEEN.ADD', keys[1], unpack(ids))
  end
  return ids
end

-- FCALL reco_click 1 <user-key> <catalog> <item> [weight]
-- A user acted on an item: it joins the seen-set and the item's terms gain `weight`
-- (default 1) in the user's term preferences, the click-count genres that term recall
-- reads. Returns the user's new terms as a flat term/weight array.
local function click(keys, args)
  if #keys ~= 1 or #args < 2 or #args > 3 then
    return redis.error_reply('ERR usage: FCALL reco_click 1 <user-key> <catalog> <item> [weight]')
  end
  local weight = 1
  if args[3] then
    weight = tonumber(args[3])
    if weight == nil or weight ~= weight or weight == math.huge or weight == -math.huge then
      return redis.error_reply('ERR weight must be a finite number')
    end
  end
  local item = redis.call('RECO.ITEM.GET', args[1], args[2])
  if not item then
    return redis.error_reply("ERR no such item '" .. args[2] .. "' in catalog '" .. args[1] .. "'")
  end
  local item_terms = {}
  for i = 1, #item, 2 do
    if item[i] == 'terms' then item_terms = item[i + 1] end
  end

  local order, weights = {}, {}
  local user = redis.call('RECO.USER.GET', keys[1])
  if user then
    for i = 1, #user, 2 do
      if user[i] == 'terms' then
        local t = user[i + 1]
        for j = 1, #t, 2 do
          order[#order + 1] = t[j]
          weights[t[j]] = tonumber(t[j + 1])
        end
      end
    end
  end
  for _, term in ipairs(item_terms) do
    if weights[term] == nil then
      order[#order + 1] = term
      weights[term] = 0
    end
    weights[term] = weights[term] + weight
  end

  local set = {'RECO.USER.SET', keys[1], 'TERMS', tostring(#order)}
  local reply = {}
  for _, term in ipairs(order) do
    local w = string.format('%.17g', weights[term])
    set[#set + 1] = term
    set[#set + 1] = w
    reply[#reply + 1] = term
    reply[#reply + 1] = w
  end
  redis.call('RECO.USER.SEEN.ADD', keys[1], args[2])
  redis.call(unpack(set))
  return reply
end

redis.register_function('reco_feed', feed)
redis.register_function('reco_click', click)

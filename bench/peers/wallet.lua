-- A Redis-Lua wallet: what a buyer would build instead of settled. One call settles one
-- transaction with the engine's rules and answers (docs/protocol.md, actors/ledger_shard.cpp);
-- Redis runs a script alone, so each call is atomic without locks.
--
-- KEYS: [1] the account hash (c = currency, b = balance, v = version)
--       [2] this id's record (txn:<namespace>:<id>; namespace = partner for bet, win and
--           rollback, "" for deposit and withdraw)
--       [3] the change feed stream
--       [4] rollbacks only: the record of the bet named by ref, in the same namespace
-- ARGV: [1] kind (bet, win, rollback, deposit, withdraw; "open" is setup's, see below)
--       [2] id  [3] account  [4] currency
--       [5] amount in minor units, "" when a rollback names none
--       [6] fingerprint of the request fields (computed by the caller, like the engine's)
--       [7] partner  [8] ref  [9] id retention in seconds  [10] feed length bound (MAXLEN ~)
-- Reply: {code, balance, version, has_balance (0/1), message}. code is applied, duplicate or
-- noop on success, otherwise the engine's error code. Balances are Lua numbers (doubles):
-- exact up to 2^53 minor units, far above what the benchmark funds.
--
-- Refused transactions leave nothing behind (a retry is decided again), like the engine.
-- Every write comes after the last check, and the only write that can fail (HINCRBY on
-- overflow) comes first, so a failing call changes nothing.
--
-- Setup ("open"): opens a batch of accounts with their initial deposit (id d<account>, as the
-- engine's setup sends it) in one call. KEYS: account hash and deposit record per account,
-- then the feed; ARGV: "open", retention s, feed length bound, then account, currency, amount, fingerprint
-- per account. Accounts that exist are left alone, so a second setup funds nothing twice.
-- Reply: {"applied", accounts opened, 0, 0, ""} or {"account_exists", ...}.

local MAX_AMOUNT = 1000000000000  -- the engine's default max_amount (config/)

local function open_accounts()
  local retention_s, feed_max = ARGV[2], ARGV[3]
  local opened = 0
  for i = 1, (#KEYS - 1) / 2 do
    local account_key, deposit_key = KEYS[2 * i - 1], KEYS[2 * i]
    local account, currency, amount, fingerprint =
        ARGV[4 * i], ARGV[4 * i + 1], ARGV[4 * i + 2], ARGV[4 * i + 3]
    local existing = redis.call('HGET', account_key, 'c')
    if not existing then
      if tonumber(amount) > 0 then
        redis.call('HSET', account_key, 'c', currency, 'b', amount, 'v', 1)
        redis.call('HSET', deposit_key, 's', 'done', 'k', 'deposit', 'f', fingerprint,
                   'o', 'applied', 'b', amount, 'v', 1)
        redis.call('EXPIRE', deposit_key, retention_s)
        redis.call('XADD', KEYS[#KEYS], 'MAXLEN', '~', feed_max, '*', 'kind', 'deposit',
                   'id', 'd' .. account, 'partner', '', 'account', account, 'amount', amount,
                   'balance', amount, 'version', 1, 'outcome', 'applied')
      else
        redis.call('HSET', account_key, 'c', currency, 'b', 0, 'v', 0)
      end
      opened = opened + 1
    elseif existing ~= currency then
      return {'account_exists', 0, 0, 0, "account '" .. account .. "' exists in " .. existing}
    end
  end
  return {'applied', opened, 0, 0, ''}
end

if ARGV[1] == 'open' then
  return open_accounts()
end

local account_key, id_key, feed_key, bet_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local kind, id, account, currency = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local amount_text, amount = ARGV[5], tonumber(ARGV[5])
local fingerprint, partner, ref = ARGV[6], ARGV[7], ARGV[8]
local retention_s, feed_max = ARGV[9], ARGV[10]

local acc = redis.call('HMGET', account_key, 'c', 'b', 'v')

-- A refusal carries the account's current balance when the account exists.
local function refuse(code, message)
  if acc[1] then
    return {code, tonumber(acc[2]), tonumber(acc[3]), 1, message}
  end
  return {code, 0, 0, 0, message}
end

if amount_text ~= '' and (amount == nil or amount <= 0 or amount > MAX_AMOUNT) then
  return refuse('invalid_amount', 'amount must be between 1 and 1000000000000')
end

-- Idempotency: a remembered id answers from its record.
local seen = redis.call('HMGET', id_key, 's', 'f', 'b', 'v')
if seen[1] == 'tomb' then
  if kind == 'bet' then
    return refuse('rolled_back', "bet '" .. id .. "' was rolled back before it arrived")
  end
  return refuse('id_conflict', "id '" .. id .. "' names a rolled-back bet")
elseif seen[1] then
  if seen[2] ~= fingerprint then
    return refuse('id_conflict', "id '" .. id .. "' was used with different fields")
  end
  return {'duplicate', tonumber(seen[3]), tonumber(seen[4]), 1, ''}
end

if not acc[1] then
  return refuse('unknown_account', "account '" .. account .. "' does not exist")
end
if acc[1] ~= currency then
  return refuse('currency_mismatch',
                'account currency is ' .. acc[1] .. ', transaction currency is ' .. currency)
end

local outcome = 'applied'
local delta = nil  -- the balance change as text (HINCRBY wants an integer, not a double)
local bet_amount = nil
if kind == 'bet' or kind == 'withdraw' then
  if tonumber(acc[2]) < amount then
    return refuse('insufficient_funds',
                  'balance ' .. acc[2] .. ' is less than amount ' .. amount_text)
  end
  delta = '-' .. amount_text
elseif kind == 'win' or kind == 'deposit' then
  delta = amount_text
elseif kind == 'rollback' then
  if ref == id then
    return refuse('ref_mismatch', 'ref names a transaction that is not a bet')
  end
  -- s = done | tomb, k = kind, a = account, c = currency, m = amount, rb = rolled back
  local bet = redis.call('HMGET', bet_key, 's', 'k', 'a', 'c', 'm', 'rb')
  if not bet[1] then
    outcome = 'noop'  -- the rollback overtook its bet: a tombstone (below) refuses it later
  elseif bet[1] == 'tomb' or bet[6] == '1' then
    outcome = 'duplicate'  -- the bet is already rolled back (by any id)
  elseif bet[2] ~= 'bet' then
    return refuse('ref_mismatch', 'ref names a transaction that is not a bet')
  elseif bet[3] ~= account then
    return refuse('ref_mismatch', "the bet was on account '" .. bet[3] .. "'")
  elseif bet[4] ~= currency then
    return refuse('ref_mismatch', 'the bet was in ' .. bet[4])
  elseif amount and amount ~= tonumber(bet[5]) then
    return refuse('ref_mismatch', "the bet's amount was " .. bet[5])
  else
    delta = bet[5]
    bet_amount = bet[5]
  end
else
  return refuse('bad_request', "kind '" .. kind .. "' is not settled by this wallet")
end

local balance, version = tonumber(acc[2]), tonumber(acc[3])
if delta then
  balance = redis.call('HINCRBY', account_key, 'b', delta)
  version = redis.call('HINCRBY', account_key, 'v', 1)
end

if kind == 'rollback' then
  if outcome == 'noop' then
    redis.call('HSET', bet_key, 's', 'tomb', 'k', 'bet', 'a', account, 'c', currency,
               'm', amount_text)
    redis.call('EXPIRE', bet_key, retention_s)
  elseif bet_amount then
    redis.call('HSET', bet_key, 'rb', '1')
  end
end

-- Remember the id with its result; bets keep what a rollback needs to check and refund.
if kind == 'bet' then
  redis.call('HSET', id_key, 's', 'done', 'k', kind, 'f', fingerprint, 'o', outcome,
             'b', balance, 'v', version, 'a', account, 'c', currency, 'm', amount_text)
else
  redis.call('HSET', id_key, 's', 'done', 'k', kind, 'f', fingerprint, 'o', outcome,
             'b', balance, 'v', version)
end
redis.call('EXPIRE', id_key, retention_s)

redis.call('XADD', feed_key, 'MAXLEN', '~', feed_max, '*', 'kind', kind, 'id', id,
           'partner', partner, 'account', account, 'amount', delta or '0',
           'balance', balance, 'version', version, 'outcome', outcome)
return {outcome, balance, version, 1, ''}

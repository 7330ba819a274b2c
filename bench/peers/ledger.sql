-- A PostgreSQL ledger: what a buyer would build instead of settled. settle_txn() settles one
-- transaction per call with the engine's rules and answers (docs/protocol.md,
-- actors/ledger_shard.cpp); the caller runs each call as its own transaction (autocommit).
--
-- Durability is the server's: synchronous_commit on (the default) answers after the WAL is
-- flushed; off answers before (a crash loses the last few hundred ms of acknowledged
-- transactions, like Redis at appendfsync everysec). The caller picks it per connection with
-- the conninfo `options='-c synchronous_commit=off'`, or the server's configuration does.
--
-- Idempotent: settle-loadgen runs this on every setup. PostgreSQL 15.

-- Players only (the engine's house and partner accounts are not modelled: the change feed
-- here is the transactions table). fillfactor leaves room for HOT updates of the balance.
CREATE TABLE IF NOT EXISTS accounts (
  id       text PRIMARY KEY,
  currency text NOT NULL,
  kind     text NOT NULL DEFAULT 'player',
  balance  bigint NOT NULL DEFAULT 0,
  version  bigint NOT NULL DEFAULT 0,  -- +1 per applied change, like the engine's
  CONSTRAINT player_floor CHECK (kind <> 'player' OR balance >= 0)
) WITH (fillfactor = 80);

-- Every settled id with its result, and tombstones of rollbacks that overtook their bet.
-- namespace: the partner for bet, win and rollback; '' for deposit and withdraw.
CREATE TABLE IF NOT EXISTS transactions (
  namespace   text NOT NULL,
  id          text NOT NULL,
  state       text NOT NULL,          -- done | tombstone
  kind        text NOT NULL,
  fingerprint bigint,                 -- of the request fields; a retry must match it
  outcome     text,                   -- applied | duplicate | noop
  account     text NOT NULL,
  currency    text NOT NULL,
  amount      bigint,                 -- bets: the refundable amount; rollbacks: refunded
  balance     bigint,                 -- result: the balance after
  version     bigint,                 -- result: the version after
  rolled_back boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, id)
);

-- A refusal: the code and message with the account's current balance when it exists.
CREATE OR REPLACE FUNCTION settle_refusal(
    p_account text, p_code text, p_message text,
    OUT r_code text, OUT r_balance bigint, OUT r_version bigint, OUT r_has_balance boolean,
    OUT r_message text)
LANGUAGE sql STABLE AS $$
  SELECT p_code, a.balance, a.version, a.balance IS NOT NULL, p_message
  FROM (SELECT 1) AS one LEFT JOIN accounts AS a ON a.id = p_account
$$;

-- One transaction. Returns (code, balance, version, has_balance, message): code is applied,
-- duplicate or noop on success, otherwise the engine's error code. p_amount is NULL only for
-- a rollback that names no amount.
--
-- Concurrency (READ COMMITTED): the balance check is part of the UPDATE, so concurrent calls
-- on one account serialize on its row. Two calls that both missed an id in their first
-- SELECT (copies of one id racing on two connections, a bet racing its rollback's
-- tombstone) meet at the primary key: the later INSERT finds the row and raises
-- serialization_failure, which rolls that call back; the client sends it again and it is
-- then answered from the stored row (duplicate, id_conflict or rolled_back).
CREATE OR REPLACE FUNCTION settle_txn(
    p_kind text, p_id text, p_account text, p_currency text, p_amount bigint,
    p_fingerprint bigint, p_partner text, p_ref text,
    OUT r_code text, OUT r_balance bigint, OUT r_version bigint, OUT r_has_balance boolean,
    OUT r_message text)
LANGUAGE plpgsql AS $$
DECLARE
  ns text := CASE WHEN p_kind IN ('bet', 'win', 'rollback') THEN p_partner ELSE '' END;
  seen transactions%ROWTYPE;
  acc accounts%ROWTYPE;
  bet transactions%ROWTYPE;
  outcome text := 'applied';
  delta bigint := 0;
  refusal text;
  why text;
BEGIN
  IF p_amount IS NOT NULL AND (p_amount <= 0 OR p_amount > 1000000000000) THEN
    SELECT * INTO r_code, r_balance, r_version, r_has_balance, r_message
      FROM settle_refusal(p_account, 'invalid_amount',
                          'amount must be between 1 and 1000000000000');
    RETURN;
  END IF;

  -- Idempotency: a remembered id answers from its row.
  SELECT * INTO seen FROM transactions AS t WHERE t.namespace = ns AND t.id = p_id;
  IF FOUND THEN
    IF seen.state = 'tombstone' THEN
      IF p_kind = 'bet' THEN
        refusal := 'rolled_back';
        why := format('bet ''%s'' was rolled back before it arrived', p_id);
      ELSE
        refusal := 'id_conflict';
        why := format('id ''%s'' names a rolled-back bet', p_id);
      END IF;
    ELSIF seen.fingerprint IS DISTINCT FROM p_fingerprint THEN
      refusal := 'id_conflict';
      why := format('id ''%s'' was used with different fields', p_id);
    ELSE
      r_code := 'duplicate';
      r_balance := seen.balance;
      r_version := seen.version;
      r_has_balance := true;
      r_message := '';
      RETURN;
    END IF;
    SELECT * INTO r_code, r_balance, r_version, r_has_balance, r_message
      FROM settle_refusal(p_account, refusal, why);
    RETURN;
  END IF;

  IF p_kind = 'rollback' THEN
    SELECT * INTO acc FROM accounts AS a WHERE a.id = p_account;
    IF NOT FOUND THEN
      refusal := 'unknown_account';
      why := format('account ''%s'' does not exist', p_account);
    ELSIF acc.currency <> p_currency THEN
      refusal := 'currency_mismatch';
      why := format('account currency is %s, transaction currency is %s', acc.currency,
                    p_currency);
    ELSIF p_ref = p_id THEN
      refusal := 'ref_mismatch';
      why := 'ref names a transaction that is not a bet';
    ELSE
      -- Locks the bet: a second rollback of it waits here and then sees rolled_back.
      SELECT * INTO bet FROM transactions AS t WHERE t.namespace = ns AND t.id = p_ref
        FOR UPDATE;
      IF NOT FOUND THEN
        -- The rollback overtook its bet: a tombstone refuses the bet when it comes.
        INSERT INTO transactions (namespace, id, state, kind, account, currency, amount)
          VALUES (ns, p_ref, 'tombstone', 'bet', p_account, p_currency, p_amount)
          ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'bet ''%'' was stored meanwhile; retry', p_ref
            USING ERRCODE = 'serialization_failure';
        END IF;
        outcome := 'noop';
      ELSIF bet.state = 'tombstone' OR bet.rolled_back THEN
        outcome := 'duplicate';
      ELSIF bet.kind <> 'bet' THEN
        refusal := 'ref_mismatch';
        why := 'ref names a transaction that is not a bet';
      ELSIF bet.account <> p_account THEN
        refusal := 'ref_mismatch';
        why := format('the bet was on account ''%s''', bet.account);
      ELSIF bet.currency <> p_currency THEN
        refusal := 'ref_mismatch';
        why := format('the bet was in %s', bet.currency);
      ELSIF p_amount IS NOT NULL AND p_amount <> bet.amount THEN
        refusal := 'ref_mismatch';
        why := format('the bet''s amount was %s', bet.amount);
      ELSE
        UPDATE transactions AS t SET rolled_back = true
          WHERE t.namespace = ns AND t.id = p_ref;
        delta := bet.amount;
      END IF;
    END IF;
    IF refusal IS NOT NULL THEN
      r_code := refusal;
      r_balance := acc.balance;
      r_version := acc.version;
      r_has_balance := acc.id IS NOT NULL;
      r_message := why;
      RETURN;
    END IF;
    IF delta <> 0 THEN
      UPDATE accounts AS a SET balance = a.balance + delta, version = a.version + 1
        WHERE a.id = p_account
        RETURNING a.balance, a.version INTO r_balance, r_version;
    ELSE
      r_balance := acc.balance;
      r_version := acc.version;
    END IF;
  ELSE
    delta := CASE p_kind WHEN 'bet' THEN -p_amount WHEN 'withdraw' THEN -p_amount
                         WHEN 'win' THEN p_amount WHEN 'deposit' THEN p_amount END;
    IF delta IS NULL THEN
      SELECT * INTO r_code, r_balance, r_version, r_has_balance, r_message
        FROM settle_refusal(p_account, 'bad_request',
                            format('kind ''%s'' is not settled by this ledger', p_kind));
      RETURN;
    END IF;
    -- The floor check and the move in one statement: the row lock orders concurrent calls.
    UPDATE accounts AS a SET balance = a.balance + delta, version = a.version + 1
      WHERE a.id = p_account AND a.currency = p_currency AND a.balance + delta >= 0
      RETURNING a.balance, a.version INTO r_balance, r_version;
    IF NOT FOUND THEN
      SELECT * INTO acc FROM accounts AS a WHERE a.id = p_account;
      IF NOT FOUND THEN
        r_code := 'unknown_account';
        r_has_balance := false;
        r_message := format('account ''%s'' does not exist', p_account);
        RETURN;
      END IF;
      r_balance := acc.balance;
      r_version := acc.version;
      r_has_balance := true;
      IF acc.currency <> p_currency THEN
        r_code := 'currency_mismatch';
        r_message := format('account currency is %s, transaction currency is %s',
                            acc.currency, p_currency);
      ELSE
        r_code := 'insufficient_funds';
        r_message := format('balance %s is less than amount %s', acc.balance, p_amount);
      END IF;
      RETURN;
    END IF;
  END IF;

  INSERT INTO transactions (namespace, id, state, kind, fingerprint, outcome, account, currency,
                            amount, balance, version)
    VALUES (ns, p_id, 'done', p_kind, p_fingerprint, outcome, p_account, p_currency,
            CASE WHEN p_kind = 'rollback' THEN delta ELSE p_amount END, r_balance, r_version)
    ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'id ''%'' was stored meanwhile; retry', p_id
      USING ERRCODE = 'serialization_failure';
  END IF;
  r_code := outcome;
  r_has_balance := true;
  r_message := '';
END
$$;

-- Setup: opens accounts with their initial deposit (id d<account>, as the engine's setup
-- sends it) in one statement per batch. Accounts that exist are left alone, so a second
-- setup funds nothing twice. Returns how many accounts were opened.
CREATE OR REPLACE FUNCTION settle_open_accounts(
    p_ids text[], p_currencies text[], p_amounts bigint[], p_fingerprints bigint[])
RETURNS bigint LANGUAGE sql AS $$
  WITH input AS (
    SELECT * FROM unnest(p_ids, p_currencies, p_amounts, p_fingerprints)
      AS t(id, currency, amount, fingerprint)
  ), opened AS (
    INSERT INTO accounts (id, currency, balance, version)
      SELECT i.id, i.currency, greatest(i.amount, 0), CASE WHEN i.amount > 0 THEN 1 ELSE 0 END
      FROM input AS i
      ON CONFLICT (id) DO NOTHING
      RETURNING id, currency, balance
  ), funded AS (
    INSERT INTO transactions (namespace, id, state, kind, fingerprint, outcome, account,
                              currency, amount, balance, version)
      SELECT '', 'd' || o.id, 'done', 'deposit', i.fingerprint, 'applied', o.id, o.currency,
             o.balance, o.balance, 1
      FROM opened AS o JOIN input AS i ON i.id = o.id
      WHERE o.balance > 0
      ON CONFLICT DO NOTHING
  )
  SELECT count(*) FROM opened
$$;

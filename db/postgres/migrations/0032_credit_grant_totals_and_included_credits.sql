-- Issue 17, what the credit ledger still lacked.
--
-- 1. Reads that follow the open grants, not the ledger's history. Each grant carries the sums of
--    its own entries: what is left (remaining_minor), what burns took net of reversals
--    (consumed_minor) and what expired or was voided (expired_minor). One trigger keeps them, in
--    the statement that inserts the entry, so they are always the sums of the entries; the
--    entries themselves stay append-only. Writers and the balance read grants (open ones through
--    a partial index), never every entry.
ALTER TABLE credit_grants
  ADD COLUMN remaining_minor bigint NOT NULL DEFAULT 0 CHECK (remaining_minor >= 0),
  ADD COLUMN consumed_minor bigint NOT NULL DEFAULT 0,
  ADD COLUMN expired_minor bigint NOT NULL DEFAULT 0 CHECK (expired_minor >= 0);

UPDATE credit_grants g SET
  remaining_minor = s.remaining, consumed_minor = s.consumed, expired_minor = s.expired
FROM (
  SELECT grant_id,
    sum(amount_minor) AS remaining,
    coalesce(-sum(amount_minor) FILTER (WHERE kind IN ('burn', 'reversal')), 0) AS consumed,
    coalesce(-sum(amount_minor) FILTER (WHERE kind IN ('expiry', 'void')), 0) AS expired
  FROM credit_ledger_entries GROUP BY grant_id
) s WHERE s.grant_id = g.id;

CREATE FUNCTION credit_ledger_entries_carry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE credit_grants SET
    remaining_minor = remaining_minor + NEW.amount_minor,
    consumed_minor = consumed_minor - CASE WHEN NEW.kind IN ('burn', 'reversal') THEN NEW.amount_minor ELSE 0 END,
    expired_minor = expired_minor - CASE WHEN NEW.kind IN ('expiry', 'void') THEN NEW.amount_minor ELSE 0 END
  WHERE id = NEW.grant_id;
  IF NOT FOUND THEN RAISE EXCEPTION 'credit ledger entry for grant % that does not exist', NEW.grant_id; END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER credit_ledger_entries_carry AFTER INSERT ON credit_ledger_entries
  FOR EACH ROW EXECUTE FUNCTION credit_ledger_entries_carry();

-- The grants that can still pay or expire: what every ledger write looks at.
CREATE INDEX credit_grants_open_idx ON credit_grants (tenant_id, currency) WHERE remaining_minor > 0;

-- 2. Included credits of a plan: granted at each period start of a subscription, once per
--    (subscription, period start), whatever retries the activity that grants them. The grant's
--    opening entry is a `grant` entry: the source says where it came from, the ledger's kinds stay.
ALTER TABLE credit_grants DROP CONSTRAINT credit_grants_source_check;
ALTER TABLE credit_grants ADD CONSTRAINT credit_grants_source_check
  CHECK (source IN ('grant', 'overpayment', 'invoice_credit', 'included'));
ALTER TABLE credit_grants
  ADD COLUMN subscription_id uuid REFERENCES subscriptions (id) ON DELETE CASCADE,
  ADD COLUMN period_start timestamptz,
  ADD CONSTRAINT credit_grants_included_period CHECK ((source = 'included') = (subscription_id IS NOT NULL AND period_start IS NOT NULL));
CREATE UNIQUE INDEX credit_grants_once_per_period ON credit_grants (subscription_id, period_start) WHERE source = 'included';


-- A plan version's included credits, {"amount": "<decimal>", "rollover": true|false}; NULL: none.
ALTER TABLE plan_versions ADD COLUMN included_credits jsonb;

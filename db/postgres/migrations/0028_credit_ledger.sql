-- Credit grants and their ledger. A grant is credit a tenant may spend on invoices; every change
-- of its remaining credit is one ledger entry, never edited: a grant's remaining credit is the sum
-- of its entries, and the tenant's balance the sum of all of them. Amounts are bigint minor units
-- of the grant's currency.
CREATE TABLE credit_grants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  currency char(3) NOT NULL,
  -- Where the credit came from: given (grant), paid beyond what was owed (overpayment), or an
  -- invoice whose total was negative (invoice_credit).
  source text NOT NULL CHECK (source IN ('grant', 'overpayment', 'invoice_credit')),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  priority integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 1000000),
  effective_at timestamptz NOT NULL,
  expires_at timestamptz CHECK (expires_at IS NULL OR expires_at > effective_at),
  -- Meter codes the grant may pay for; NULL pays for any line.
  applies_to text[] CHECK (applies_to IS NULL OR cardinality(applies_to) >= 1),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  -- Idempotency-Key of the request that created it: one grant per key and tenant.
  idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  -- The invoice (invoice_credit, or the invoice an overpayment was paid on) and the payment.
  invoice_id uuid REFERENCES invoices (id) ON DELETE CASCADE,
  payment_id uuid REFERENCES payments (id) ON DELETE CASCADE,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX credit_grants_idempotency_key ON credit_grants (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- A negative invoice is credited once; a payment's excess once.
CREATE UNIQUE INDEX credit_grants_once_per_negative_invoice ON credit_grants (invoice_id) WHERE source = 'invoice_credit';
CREATE UNIQUE INDEX credit_grants_once_per_payment ON credit_grants (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX credit_grants_tenant_idx ON credit_grants (tenant_id, currency);

ALTER TABLE credit_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE credit_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY credit_grants_scope ON credit_grants
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- The ledger. seq orders the entries (the keyset of the ledger's pages); the grant row is locked
-- while entries of it are written, so concurrent writers of one grant queue and none can spend
-- credit another already spent.
CREATE TABLE credit_ledger_entries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  grant_id uuid NOT NULL REFERENCES credit_grants (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('grant', 'burn', 'expiry', 'void', 'reversal', 'overpayment', 'invoice_credit')),
  amount_minor bigint NOT NULL CHECK (amount_minor <> 0),
  at timestamptz NOT NULL,
  invoice_id uuid REFERENCES invoices (id) ON DELETE CASCADE,
  line_id uuid REFERENCES invoice_lines (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind IN ('grant', 'overpayment', 'invoice_credit', 'reversal')) = (amount_minor > 0)),
  CHECK (kind NOT IN ('burn', 'reversal') OR (invoice_id IS NOT NULL AND line_id IS NOT NULL))
);
-- One opening entry per grant; a line is paid by a grant once and given back once.
CREATE UNIQUE INDEX credit_ledger_one_opening ON credit_ledger_entries (grant_id) WHERE kind IN ('grant', 'overpayment', 'invoice_credit');
CREATE UNIQUE INDEX credit_ledger_burn_once ON credit_ledger_entries (grant_id, line_id) WHERE kind = 'burn';
CREATE UNIQUE INDEX credit_ledger_reversal_once ON credit_ledger_entries (grant_id, line_id) WHERE kind = 'reversal';
CREATE INDEX credit_ledger_tenant_idx ON credit_ledger_entries (tenant_id, seq);
CREATE INDEX credit_ledger_invoice_idx ON credit_ledger_entries (invoice_id) WHERE invoice_id IS NOT NULL;

ALTER TABLE credit_ledger_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE credit_ledger_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY credit_ledger_entries_scope ON credit_ledger_entries
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- Nothing edits an entry: corrections are further entries.
CREATE FUNCTION credit_ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'credit ledger entries are never changed (a correction is a new entry)';
END $$;
CREATE TRIGGER credit_ledger_entries_append_only BEFORE UPDATE ON credit_ledger_entries
  FOR EACH ROW EXECUTE FUNCTION credit_ledger_entries_append_only();

-- The interim tenant credit becomes the ledger: each balance above zero becomes one overpayment
-- grant (never expiring, burnt first like any priority-0 grant) opened with that balance, so
-- no tenant loses a cent. The old tables stay as the record of how that balance came about;
-- nothing writes them any more.
INSERT INTO credit_grants (tenant_id, currency, source, amount_minor, effective_at, reason, created_at)
SELECT tenant_id, currency, 'overpayment', balance_minor, updated_at,
       'credit balance carried over from the tenant credit of earlier versions', updated_at
FROM tenant_credits WHERE balance_minor > 0;
INSERT INTO credit_ledger_entries (tenant_id, grant_id, kind, amount_minor, at)
SELECT tenant_id, id, 'overpayment', amount_minor, effective_at FROM credit_grants WHERE source = 'overpayment';

-- Money you can trust: one pending gateway attempt per invoice, and tenant credit for money
-- received beyond what an invoice owed.

-- The attempt is the lock. A charge inserts its attempt as pending under the invoice's row lock,
-- and while it is pending nothing else may start a charge or change the invoice. This index
-- makes a second pending attempt of the same invoice impossible, whatever the code does.
CREATE UNIQUE INDEX payment_attempts_one_pending ON payment_attempts (invoice_id) WHERE status = 'pending';

-- Test hook of the built-in gateway: it records a charge, then waits this long before it
-- answers, so a test can act while the charge is in flight.
ALTER TABLE tenant_payment_settings
  ADD COLUMN charge_delay_ms integer NOT NULL DEFAULT 0 CHECK (charge_delay_ms BETWEEN 0 AND 60000);

-- Credit applies after tax: total stays what was billed, credit_applied_minor is what the
-- tenant's balance paid of it, and total − credit_applied is the amount due (what dunning
-- collects). The credit also appears as a negative line of type 'credit'.
ALTER TABLE invoices
  ADD COLUMN credit_applied_minor bigint NOT NULL DEFAULT 0 CHECK (credit_applied_minor >= 0),
  ADD CONSTRAINT invoices_credit_within_total CHECK (credit_applied_minor = 0 OR credit_applied_minor <= total_minor);

ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_type_check;
ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_type_check
  CHECK (type IN ('base_fee', 'usage', 'proration', 'adjustment', 'credit'));

-- A tenant's credit balance per currency. The row is locked while an entry is written, so
-- concurrent grants and applications add up; it never goes below zero.
CREATE TABLE tenant_credits (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  currency char(3) NOT NULL,
  balance_minor bigint NOT NULL DEFAULT 0 CHECK (balance_minor >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, currency)
);

ALTER TABLE tenant_credits ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_credits FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_credits_scope ON tenant_credits
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- Every change of a balance, so it can be audited (the balance is their sum):
--   overpayment (+): the part of a payment beyond what its invoice owed; once per payment;
--   voided (+): what had been paid on an invoice that was then voided; once per invoice;
--   applied (−): what an invoice took at finalization; once per invoice.
CREATE TABLE tenant_credit_entries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  currency char(3) NOT NULL,
  kind text NOT NULL CHECK (kind IN ('overpayment', 'voided', 'applied')),
  amount_minor bigint NOT NULL CHECK (amount_minor <> 0),
  invoice_id uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
  payment_id uuid REFERENCES payments (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'applied') = (amount_minor < 0)),
  CHECK ((kind = 'overpayment') = (payment_id IS NOT NULL))
);
CREATE UNIQUE INDEX tenant_credit_entries_once_per_payment ON tenant_credit_entries (payment_id) WHERE kind = 'overpayment';
CREATE UNIQUE INDEX tenant_credit_entries_once_per_invoice ON tenant_credit_entries (invoice_id, kind) WHERE kind IN ('voided', 'applied');
CREATE INDEX tenant_credit_entries_tenant_idx ON tenant_credit_entries (tenant_id, created_at);

ALTER TABLE tenant_credit_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_credit_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_credit_entries_scope ON tenant_credit_entries
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

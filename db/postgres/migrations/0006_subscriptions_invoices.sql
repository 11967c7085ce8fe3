-- Subscriptions, invoices and payments. Every tenant-owned table carries tenant_id and the
-- same guard as tenants (0002): ENABLE + FORCE ROW LEVEL SECURITY and a policy that admits the
-- operator scope or the row's own tenant. Amounts are bigint minor units of the row's currency.

-- The read model of each subscription workflow (subscription-<id>): written by activities so
-- lists need no Temporal query per subscription. The workflow is the source of truth.
CREATE TABLE subscriptions (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  plan_id uuid NOT NULL,
  plan_version integer NOT NULL,
  status text NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
  start_at timestamptz NOT NULL,
  billing_anchor timestamptz NOT NULL,
  trial_end timestamptz,
  current_period_start timestamptz,
  current_period_end timestamptz,
  next_invoice_at timestamptz,
  last_invoice_id uuid,
  -- A scheduled plan change or cancellation, as the workflow reports it.
  pending_change jsonb,
  canceled_at timestamptz,
  workflow_id text NOT NULL UNIQUE,
  -- Increases with every status the workflow reports; an older report never overwrites a newer one.
  status_seq bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (plan_id, plan_version) REFERENCES plan_versions (plan_id, version)
);
-- A tenant has at most one subscription per plan that is not canceled.
CREATE UNIQUE INDEX subscriptions_one_live_per_plan ON subscriptions (tenant_id, plan_id) WHERE status <> 'canceled';
CREATE INDEX subscriptions_tenant_idx ON subscriptions (tenant_id, created_at);

ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY subscriptions_scope ON subscriptions
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- One row per billed period. UNIQUE (subscription_id, period_start) is what makes writing an
-- invoice idempotent: a retried, replayed or duplicated activity finds the row and bills nothing.
-- status: draft → finalized → paid | payment_failed → uncollectible | paid; void from
-- finalized or payment_failed. The number is assigned at finalization (gapless per year).
CREATE TABLE invoices (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  number text UNIQUE CHECK (number ~ '^INV-[0-9]{4}-[0-9]{6,}$'),
  status text NOT NULL CHECK (status IN ('draft', 'finalized', 'paid', 'payment_failed', 'uncollectible', 'void')),
  reason text NOT NULL CHECK (reason IN ('period_end', 'invoice_now', 'cancel')),
  currency char(3) NOT NULL,
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL CHECK (period_end > period_start),
  subtotal_minor bigint NOT NULL,
  tax_rate numeric(9, 6),
  tax_minor bigint,
  total_minor bigint,
  amount_paid_minor bigint NOT NULL DEFAULT 0 CHECK (amount_paid_minor >= 0),
  issued_at timestamptz,
  due_at timestamptz,
  paid_at timestamptz,
  voided_at timestamptz,
  pdf bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subscription_id, period_start),
  CHECK ((status = 'draft') = (number IS NULL)),
  CHECK (status = 'draft' OR (tax_minor IS NOT NULL AND total_minor IS NOT NULL AND issued_at IS NOT NULL))
);
CREATE INDEX invoices_tenant_idx ON invoices (tenant_id, period_start);
CREATE INDEX invoices_status_idx ON invoices (status);

ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY invoices_scope ON invoices
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- Lines: base_fee, usage (one per charge and part of the period), proration and adjustment.
-- Tax is the invoice's tax_minor, not a line. A usage line keeps its query window, its
-- deduplicated event count and what re-rating it needs (rating: the charge as billed and the
-- period it prorates against), so late usage can be billed exactly and a customer can audit it.
CREATE TABLE invoice_lines (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  invoice_id uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
  position integer NOT NULL CHECK (position >= 1),
  type text NOT NULL CHECK (type IN ('base_fee', 'usage', 'proration', 'adjustment')),
  description text NOT NULL,
  meter text,
  model text,
  quantity numeric(42, 12),
  unit_price numeric(42, 12),
  tiers jsonb,
  amount_minor bigint NOT NULL,
  plan_id uuid,
  plan_version integer,
  usage_from timestamptz,
  usage_to timestamptz,
  event_count bigint,
  rating jsonb,
  UNIQUE (invoice_id, position)
);
CREATE INDEX invoice_lines_usage_idx ON invoice_lines (tenant_id, meter, usage_from);

ALTER TABLE invoice_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY invoice_lines_scope ON invoice_lines
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- Gapless invoice numbers per calendar year (UTC), shared by all tenants: INV-2026-000123.
-- Finalization increments the year's row in the same transaction that numbers the invoice,
-- so a rolled-back finalization leaves no gap, and the row lock orders concurrent ones.
CREATE TABLE invoice_number_sequences (
  year integer PRIMARY KEY CHECK (year BETWEEN 1970 AND 9999),
  last_number integer NOT NULL CHECK (last_number >= 0)
);

-- How each tenant pays: the gateway and, for the built-in deterministic gateway, its script
-- (decline the first N attempts of each invoice; fail transiently M times per attempt).
CREATE TABLE tenant_payment_settings (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  gateway text NOT NULL DEFAULT 'builtin' CHECK (gateway IN ('builtin')),
  decline_first_attempts integer NOT NULL DEFAULT 0 CHECK (decline_first_attempts >= 0),
  transient_failures_per_attempt integer NOT NULL DEFAULT 0 CHECK (transient_failures_per_attempt >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE tenant_payment_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_payment_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_payment_settings_scope ON tenant_payment_settings
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- Each collection attempt of an invoice through a gateway. The idempotency key is
-- '<invoiceId>:<attempt>': a retried activity sends the same key, and the gateway answers it
-- with the first outcome instead of charging again.
CREATE TABLE payment_attempts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  invoice_id uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
  attempt integer NOT NULL CHECK (attempt >= 1),
  idempotency_key text NOT NULL UNIQUE,
  gateway text NOT NULL,
  amount_minor bigint NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined')),
  gateway_reference text,
  failure_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  UNIQUE (invoice_id, attempt)
);

ALTER TABLE payment_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY payment_attempts_scope ON payment_attempts
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- Money received against an invoice: a successful gateway attempt or a manual payment
-- recorded by finance.
CREATE TABLE payments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  invoice_id uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
  method text NOT NULL CHECK (method IN ('gateway', 'manual')),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 200),
  payment_attempt_id uuid UNIQUE REFERENCES payment_attempts (id),
  recorded_by uuid,
  received_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_invoice_idx ON payments (invoice_id);

ALTER TABLE payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments FORCE ROW LEVEL SECURITY;
CREATE POLICY payments_scope ON payments
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- The built-in gateway's own ledger: it stands in for a payment provider's records, so it
-- remembers every idempotency key it has answered and never charges one twice.
CREATE TABLE builtin_gateway_charges (
  idempotency_key text PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  invoice_id uuid NOT NULL,
  amount_minor bigint NOT NULL,
  currency char(3) NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('succeeded', 'declined')),
  reference text NOT NULL,
  decline_reason text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX builtin_gateway_charges_invoice_idx ON builtin_gateway_charges (tenant_id, invoice_id);

ALTER TABLE builtin_gateway_charges ENABLE ROW LEVEL SECURITY;
ALTER TABLE builtin_gateway_charges FORCE ROW LEVEL SECURITY;
CREATE POLICY builtin_gateway_charges_scope ON builtin_gateway_charges
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

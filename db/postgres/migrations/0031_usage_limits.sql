-- Usage limits and real-time authorization (issue 17 §2). See db/README.md, *Usage limits*, for
-- why the counters are exact.
--
-- A limit caps a tenant's usage of one additive meter (sum, count) in a window: the billing
-- period, the UTC day or the UTC month. Every limit on a (tenant, meter) applies at once, so a
-- limit a customer adds can only tighten what is authorized. created_by_role says whose it is:
-- a customer may delete only their own.
CREATE TABLE usage_limits (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  meter text NOT NULL REFERENCES meters (code) ON DELETE CASCADE,
  window_kind text NOT NULL CHECK (window_kind IN ('billing_period', 'day', 'month')),
  -- At most 26 integer and 12 fractional digits: the meter values storage holds.
  limit_value numeric(38, 12) NOT NULL CHECK (limit_value >= 0),
  mode text NOT NULL CHECK (mode IN ('hard', 'soft', 'credit')),
  created_by_role text NOT NULL CHECK (created_by_role IN ('admin', 'customer')),
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_limits_tenant_meter_idx ON usage_limits (tenant_id, meter);

ALTER TABLE usage_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_limits FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_limits_scope ON usage_limits
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- One row per limit and window: the usage counted in the window (the exact deduplicated meter
-- value, bumped by every ingest flush before its events are stored) and the quantity reserved by
-- open authorizations. A row is created lazily, under the tenant's ingest flush lock, from the
-- exact usage ClickHouse holds; ingest bumps only rows that exist.
CREATE TABLE usage_limit_counters (
  limit_id uuid NOT NULL REFERENCES usage_limits (id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL CHECK (window_end > window_start),
  used numeric NOT NULL DEFAULT 0,
  reserved numeric NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  reconciled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (limit_id, window_start)
);
CREATE INDEX usage_limit_counters_tenant_idx ON usage_limit_counters (tenant_id, window_end);

ALTER TABLE usage_limit_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_limit_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_limit_counters_scope ON usage_limit_counters
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- One row per authorization (refused ones too, so a repeated idempotency key answers the first
-- answer). An open reservation holds `quantity` in `reserved` of each counter it names
-- (limit_ids[i], window_starts[i]) until an event settles it or it expires.
CREATE TABLE usage_reservations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  meter text NOT NULL,
  quantity numeric(38, 12) NOT NULL CHECK (quantity > 0),
  limit_ids uuid[] NOT NULL,
  window_starts timestamptz[] NOT NULL CHECK (cardinality(window_starts) = cardinality(limit_ids)),
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  state text NOT NULL CHECK (state IN ('open', 'settled', 'expired', 'refused')),
  -- The first answer, as it was given.
  authorized boolean NOT NULL,
  over_limit boolean NOT NULL DEFAULT false,
  remaining numeric,
  limit_value numeric,
  expires_at timestamptz NOT NULL,
  settled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX usage_reservations_idempotency_key ON usage_reservations (tenant_id, idempotency_key);
CREATE INDEX usage_reservations_open_idx ON usage_reservations (tenant_id, meter, expires_at) WHERE state = 'open';
CREATE INDEX usage_reservations_created_idx ON usage_reservations (created_at);

ALTER TABLE usage_reservations ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_reservations FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_reservations_scope ON usage_reservations
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

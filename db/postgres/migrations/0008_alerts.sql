-- Alerts (usage anomalies and budget thresholds) and the rules that tune them.

-- One row per alert. The unique index below is the dedup key: one alert per tenant, meter,
-- kind, window (and budget level), so a scan that runs again, or an activity that Temporal
-- retries, can never raise the same alert twice (INSERT ... ON CONFLICT DO NOTHING).
--   usage_spike / usage_drop: meter is the event type whose event count was watched; the window
--     is the span that was compared with its baseline; observed and expected are event counts.
--   budget_threshold: meter is NULL; the window is the billing period; level is the percent of
--     the budget reached; observed is the estimated charges and expected the budget, in the
--     tenant's currency.
CREATE TABLE alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  meter text CHECK (length(meter) BETWEEN 1 AND 200),
  kind text NOT NULL CHECK (kind IN ('usage_spike', 'usage_drop', 'budget_threshold')),
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL CHECK (window_end > window_start),
  level integer CHECK (level BETWEEN 1 AND 1000),
  observed numeric(42, 12) NOT NULL,
  expected numeric(42, 12),
  currency char(3),
  message text NOT NULL CHECK (length(message) BETWEEN 1 AND 1000),
  -- The statistics behind the alert (z-score, scale, median, last week), for the curious.
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_at timestamptz,
  acknowledged_by uuid REFERENCES users (id) ON DELETE SET NULL,
  CHECK ((kind = 'budget_threshold') = (level IS NOT NULL)),
  CHECK ((acknowledged_by IS NULL) OR (acknowledged_at IS NOT NULL))
);
CREATE UNIQUE INDEX alerts_dedup_key ON alerts (tenant_id, kind, coalesce(meter, ''), window_start, window_end, coalesce(level, 0));
CREATE INDEX alerts_tenant_created_idx ON alerts (tenant_id, created_at DESC);
CREATE INDEX alerts_created_idx ON alerts (created_at DESC);

ALTER TABLE alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY alerts_scope ON alerts
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- Overrides of the anomaly defaults (DESIGN §8) and budget levels, per tenant and/or meter.
-- A NULL tenant_id or meter matches every tenant or meter; a NULL setting keeps the default.
-- Rules are managed by admins (the operator scope); a rule for everyone (tenant_id NULL) is
-- visible only there, and a tenant scope sees only its own tenant's rules.
CREATE TABLE alert_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
  meter text CHECK (length(meter) BETWEEN 1 AND 200),
  sensitivity numeric(8, 3) CHECK (sensitivity > 0 AND sensitivity <= 1000),
  window_minutes integer CHECK (window_minutes BETWEEN 1 AND 360),
  min_volume integer CHECK (min_volume BETWEEN 0 AND 1000000000),
  budget_levels integer[] CHECK (cardinality(budget_levels) BETWEEN 1 AND 10 AND 1 <= ALL (budget_levels) AND 1000 >= ALL (budget_levels)),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (sensitivity IS NOT NULL OR window_minutes IS NOT NULL OR min_volume IS NOT NULL OR budget_levels IS NOT NULL)
);
-- One rule per scope.
CREATE UNIQUE INDEX alert_rules_scope_key ON alert_rules (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), coalesce(meter, ''));

ALTER TABLE alert_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE alert_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY alert_rules_scope ON alert_rules
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

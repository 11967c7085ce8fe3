-- The `meter` of an alert and of an alert rule is the event type that was (or is to be)
-- watched. Ingest accepts event types of up to 256 characters, so these columns accept the
-- same (domain/anomaly/limits.ts): a longer type would make a spike unstorable and stop the
-- scan for everyone.
ALTER TABLE alerts DROP CONSTRAINT alerts_meter_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_meter_check CHECK (length(meter) BETWEEN 1 AND 256);
ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_meter_check;
ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_meter_check CHECK (length(meter) BETWEEN 1 AND 256);

-- Anomaly episodes: consecutive scans in which one kind of anomaly (a spike or a drop) of one
-- tenant's event type was under way. A scan opens an episode, and raises its alert in the same
-- transaction, when it sees an anomaly and no episode is open; it keeps it open while the
-- anomaly lasts and closes it when the count is back to normal. The partial unique index
-- allows one open episode per (tenant, event type, kind): of two scans that run at once, one
-- opens the episode and raises the alert, and the other's insert does nothing.
CREATE TABLE anomaly_episodes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  event_type text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 256),
  kind text NOT NULL CHECK (kind IN ('usage_spike', 'usage_drop')),
  -- The alert raised when the episode opened (NULL if that alert was deleted, or if an alert
  -- for the same window already existed).
  alert_id uuid REFERENCES alerts (id) ON DELETE SET NULL,
  -- Ends of scan windows: the one that opened it, the latest that saw it under way, the one
  -- that found it over.
  opened_window_end timestamptz NOT NULL,
  last_seen_window_end timestamptz NOT NULL,
  closed_window_end timestamptz,
  opened_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  CHECK (last_seen_window_end >= opened_window_end),
  CHECK ((closed_at IS NULL) = (closed_window_end IS NULL))
);
CREATE UNIQUE INDEX anomaly_episodes_open_key ON anomaly_episodes (tenant_id, event_type, kind) WHERE closed_at IS NULL;
CREATE INDEX anomaly_episodes_tenant_idx ON anomaly_episodes (tenant_id, opened_at DESC);

ALTER TABLE anomaly_episodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomaly_episodes FORCE ROW LEVEL SECURITY;
CREATE POLICY anomaly_episodes_scope ON anomaly_episodes
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- A usage spike or drop watches the event count of one event type, not a meter: several meters
-- may read one event type, and an event type no meter reads can spike too. Until now such an
-- alert kept its event type in `meter`. It moves to its own column, and `meter` means a meter
-- (the code of the meter a billing_failed alert is about) or nothing.
ALTER TABLE alerts ADD COLUMN event_type text CHECK (length(event_type) BETWEEN 1 AND 256);
UPDATE alerts SET event_type = meter, meter = NULL WHERE kind IN ('usage_spike', 'usage_drop');
ALTER TABLE alerts ADD CONSTRAINT alerts_event_type_of_kind
  CHECK ((kind IN ('usage_spike', 'usage_drop')) = (event_type IS NOT NULL) AND (kind NOT IN ('usage_spike', 'usage_drop') OR meter IS NULL));

-- The dedup key (migration 0008) names the event type too, now that it has its own column.
DROP INDEX alerts_dedup_key;
CREATE UNIQUE INDEX alerts_dedup_key
  ON alerts (tenant_id, kind, coalesce(meter, ''), coalesce(event_type, ''), window_start, window_end, coalesce(level, 0));

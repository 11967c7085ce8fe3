-- Existing data: usage_events held every delivery, and reads billed the first delivery per
-- (tenant_id, event id), whatever its source. This keeps exactly what was billed: the winner
-- of each (tenant_id, event id) stays in usage_events and enters the index under its own
-- (tenant_id, source, id); every other delivery moves to usage_redeliveries as a redelivery of
-- that winner, even one with another source (it was not billed before, so it is not now).
-- Each statement can be run again, even after events were written under the new rule: the
-- index keeps the first row per key; a row is moved only if it is not its own key's first
-- delivery in the index (so the same id under a new source, a new event, stays) and is not
-- recorded yet; the delete removes only rows recorded as redeliveries.

INSERT INTO usage_first_deliveries (tenant_id, source, event_id, event_type, event_time, ingested_at)
SELECT tenant_id, w.2, w.1, w.3, w.4, w.5
FROM (
    SELECT tenant_id, argMin(tuple(event_id, toString(source), toString(event_type), event_time, ingested_at), (ingested_at, event_time, source)) AS w
    FROM usage_events GROUP BY tenant_id, event_key
);

INSERT INTO usage_redeliveries
SELECT d.tenant_id, d.event_id, d.event_type, d.event_time, d.subject, d.source, d.data, d.ingested_at, f.w_type, f.w_time, f.w_ingested
FROM usage_events AS d
INNER JOIN (
    SELECT tenant_id, event_key, argMin(tuple(toString(source), toString(event_type), event_time, ingested_at), (ingested_at, event_time, source)) AS w,
           w.1 AS w_source, w.2 AS w_type, w.3 AS w_time, w.4 AS w_ingested
    FROM usage_events GROUP BY tenant_id, event_key HAVING count() > 1
) AS f ON d.tenant_id = f.tenant_id AND d.event_key = f.event_key
WHERE (d.ingested_at, d.event_time, toString(d.source)) != (f.w_ingested, f.w_time, f.w_source)
  AND joinGet('usage_first_deliveries', 'ingested_at', reinterpretAsUInt128(substring(SHA256(concat(toString(length(d.tenant_id)), ':', d.tenant_id, toString(length(toString(d.source))), ':', toString(d.source), d.event_id)), 1, 16))) != d.ingested_at
  AND (d.tenant_id, toString(d.source), d.event_id, d.ingested_at) NOT IN (SELECT tenant_id, toString(source), event_id, ingested_at FROM usage_redeliveries);

-- Runs as a synchronous mutation (the migrator sets mutations_sync), so reads that follow
-- the migration never see a redelivery.
ALTER TABLE usage_events DELETE
WHERE (tenant_id, toString(source), event_id, ingested_at) IN (SELECT tenant_id, toString(source), event_id, ingested_at FROM usage_redeliveries);

-- Raw usage events: one row per accepted delivery, redeliveries included.
--
-- Sort key (tenant_id, event_type, event_time, event_id):
--   * tenant_id first: every read is for one tenant, so a tenant's rows form one
--     contiguous range and other tenants' granules are skipped by the primary index;
--   * event_type next: a meter reads one event type, narrowing that range;
--   * event_time: period and time-series reads are range scans inside it;
--   * event_id last: groups the deliveries of one event together for deduplication.
--
-- Deduplication is exact and happens at read time: the FIRST accepted delivery of a
-- (tenant_id, event_id) wins (argMin over ingested_at), whatever a later redelivery
-- says about its time or data. A Replacing engine is deliberately not used, because a
-- background merge would keep the LAST delivery and could change what was billed.
--
-- Partitioned by month of event_time so old months can be dropped or moved cheaply.
CREATE TABLE IF NOT EXISTS usage_events
(
    tenant_id    String,
    event_id     String,
    event_type   LowCardinality(String),
    event_time   DateTime64(3, 'UTC'),
    subject      String,
    source       LowCardinality(String),
    data         String,
    ingested_at  DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (tenant_id, event_type, event_time, event_id)

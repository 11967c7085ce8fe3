-- Deduplication moves from read time to ingest (see db/README.md, "Deduplication at ingest").
--
-- usage_first_deliveries: the first-delivery index. One entry per event, keyed by
-- dedup_key = the first 128 bits of SHA-256 over the length-prefixed identity
-- (tenant_id, source, event id), as CloudEvents defines an event's identity. The identity is
-- inserted in EPHEMERAL columns: ClickHouse computes the key from them and does not keep them. The Join engine
-- keeps its rows in a hash table in memory (and on disk, reloaded at start), so looking up a
-- flush's keys with joinGet costs one probe per key, whatever the tenant's history. ANY
-- strictness keeps the first row inserted for a key: a second insert of a key changes nothing.
-- The winner's type, time and acceptance stamp are kept so that a redelivery can be recorded
-- against the event it repeats, and so that a crashed flush's entry can be told apart from a
-- stored event (the ingest writer checks usage_events by its primary key).
CREATE TABLE IF NOT EXISTS usage_first_deliveries
(
    tenant_id    String EPHEMERAL,
    source       String EPHEMERAL,
    event_id     String EPHEMERAL,
    dedup_key    UInt128 DEFAULT reinterpretAsUInt128(substring(SHA256(concat(toString(length(tenant_id)), ':', tenant_id, toString(length(source)), ':', source, event_id)), 1, 16)),
    event_type   String,
    event_time   DateTime64(3, 'UTC'),
    ingested_at  DateTime64(6, 'UTC')
)
ENGINE = Join(ANY, LEFT, dedup_key);

-- usage_redeliveries: every later delivery of an event, as it was sent, and the event it
-- repeats (winner_*). Never read by an aggregation except to count the deliveries ignored;
-- sorted so that the redeliveries of a window's events are one range.
CREATE TABLE IF NOT EXISTS usage_redeliveries
(
    tenant_id           String,
    event_id            String,
    event_type          LowCardinality(String),
    event_time          DateTime64(3, 'UTC'),
    subject             String,
    source              LowCardinality(String),
    data                String,
    ingested_at         DateTime64(6, 'UTC'),
    winner_event_type   LowCardinality(String),
    winner_event_time   DateTime64(3, 'UTC'),
    winner_ingested_at  DateTime64(6, 'UTC')
)
ENGINE = MergeTree
ORDER BY (tenant_id, winner_event_type, winner_event_time, source, event_id);

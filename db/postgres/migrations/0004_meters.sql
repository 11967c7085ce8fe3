-- Meters are operator-owned: admins define them and they apply to every tenant, so the
-- table has no tenant_id and no row-level security (the app role reads and inserts it
-- through the default privileges of 0001).
--
-- A meter is immutable once created: plans, invoices and past usage reads refer to it by
-- code, and changing what a code counts would silently change what was billed. The
-- checks mirror domain/metering/meter-schema.ts, which validates before anything is written.
CREATE TABLE meters (
  code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text CHECK (length(description) <= 2000),
  event_type text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 256),
  aggregation text NOT NULL CHECK (aggregation IN ('count', 'sum', 'max', 'unique_count', 'latest')),
  value_property text CHECK (length(value_property) BETWEEN 1 AND 256),
  -- {"<property path>": ["allowed value", ...]}; values are text.
  filters jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(filters) = 'object'),
  group_by text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((aggregation = 'count') = (value_property IS NULL))
);

-- Ingest looks meters up by the event type it receives.
CREATE INDEX meters_event_type_idx ON meters (event_type);

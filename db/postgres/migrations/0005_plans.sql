-- Plans are operator-owned (admins write them, every signed-in role reads them), so they
-- carry no tenant_id and no row-level security.
--
-- A plan is a stable identity (plans) with numbered, immutable-once-used versions
-- (plan_versions). Subscriptions and invoices point at (plan_id, version), so an invoice
-- always keeps the prices it was rated with. Changing a plan edits its latest version in
-- place while nothing uses it yet; once a subscription has used it (in_use_since is set),
-- a change creates version n + 1 instead.
CREATE TABLE plans (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  latest_version integer NOT NULL DEFAULT 1 CHECK (latest_version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE plan_versions (
  plan_id uuid NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version >= 1),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  currency char(3) NOT NULL,
  "interval" text NOT NULL CHECK ("interval" IN ('day', 'week', 'month', 'year')),
  interval_count integer NOT NULL CHECK (interval_count BETWEEN 1 AND 1000),
  -- Prices keep up to 12 fractional digits (domain/money); numeric is exact.
  base_fee numeric(42, 12) NOT NULL CHECK (base_fee >= 0),
  trial_days integer NOT NULL CHECK (trial_days BETWEEN 0 AND 3650),
  grace_period_seconds integer NOT NULL CHECK (grace_period_seconds BETWEEN 0 AND 2592000),
  -- The charges exactly as domain/pricing's chargeSchema accepted them: every price is a
  -- decimal string inside the JSON, so nothing passes through a float.
  charges jsonb NOT NULL CHECK (jsonb_typeof(charges) = 'array'),
  -- Set when a subscription first uses this version; from then on it never changes.
  in_use_since timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_id, version)
);

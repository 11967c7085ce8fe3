-- A session token carries the token_version of its user. Deactivating a user or changing
-- their role or tenant increments it, so every token issued before stops working.
ALTER TABLE users
  ADD COLUMN token_version integer NOT NULL DEFAULT 0 CHECK (token_version >= 0),
  ADD COLUMN deactivated_at timestamptz;

-- Attempts counted against a rate limit (failed sign-ins per email and per address,
-- sign-ups per address), shared by every API replica. One row per attempt and limit: `bucket`
-- names the limit, `key` the email or address it counts, `attempt` groups the rows of one
-- attempt so a successful sign-in can take its own back. Not tenant-owned: an attempt has
-- no tenant yet.
CREATE TABLE auth_attempts (
  id bigserial PRIMARY KEY,
  attempt uuid NOT NULL,
  bucket text NOT NULL,
  key text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_attempts_bucket_key_at_idx ON auth_attempts (bucket, key, at);
CREATE INDEX auth_attempts_attempt_idx ON auth_attempts (attempt);

-- login_failures is no longer written (auth_attempts replaces it). It stays for replicas of
-- the previous release that still run during a rolling upgrade; a later migration drops it.
COMMENT ON TABLE login_failures IS 'unused since migration 0013; replaced by auth_attempts';

-- API keys carry scopes: `ingest` posts usage, `read` reads the tenant's usage, invoices and
-- alerts. Only admins hand out ingest keys, so the billed party cannot meter itself. Every
-- key that exists was made for posting usage, so each becomes an ingest key.
ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT ARRAY['ingest']::text[];
-- From here on every new key states its scopes: a forgotten argument fails instead of
-- quietly minting an ingest key.
ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_known
  CHECK (cardinality(scopes) >= 1 AND scopes <@ ARRAY['ingest', 'read']::text[]);

-- Plans are private unless an admin makes them public. A customer sees public plans and the
-- versions their own subscriptions use; the API puts that condition in its plan
-- queries (plans belong to no tenant, so there is no row-level policy to hang it on). Every
-- plan that exists becomes private: publishing prices is a decision, not a default.
ALTER TABLE plans ADD COLUMN visibility text NOT NULL DEFAULT 'private'
  CHECK (visibility IN ('public', 'private'));

-- The application connects as meterplane_app, which owns nothing. Row-level security
-- therefore always applies to it, even if a query forgets its WHERE clause.
-- (FORCE ROW LEVEL SECURITY additionally binds the owner, for defence in depth.)
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'meterplane_app') THEN
    CREATE ROLE meterplane_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO meterplane_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO meterplane_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO meterplane_app;

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- The tenant of the current transaction, set by withTenant() through set_config(..., true).
-- An unset or empty setting yields NULL, which matches no row.
CREATE OR REPLACE FUNCTION mp_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

-- True only inside withOperator(): admin and finance requests that span tenants.
CREATE OR REPLACE FUNCTION mp_is_operator() RETURNS boolean
  LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('app.operator', true), '') = 'on' $$;

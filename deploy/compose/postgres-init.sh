#!/bin/sh
# First start of the compose `postgres` service only (docker-entrypoint-initdb.d): creates the
# roles and databases the stack needs. The same steps for a managed PostgreSQL are in
# deploy/README.md ("PostgreSQL").
#   meterplane      owns the meterplane database; `meterplane migrate` connects as it
#   meterplane_app  what api and worker connect as: it logs in, owns nothing and never
#                   bypasses row-level security (migration 0001 keeps it that way)
#   temporal        owns Temporal's two databases (schemas are set up by temporal-schema)
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_pw="$MP_OWNER_PASSWORD" \
  -v app_pw="$MP_APP_PASSWORD" \
  -v temporal_pw="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE meterplane LOGIN PASSWORD :'owner_pw';
CREATE DATABASE meterplane OWNER meterplane;
CREATE ROLE meterplane_app LOGIN PASSWORD :'app_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
CREATE ROLE temporal LOGIN PASSWORD :'temporal_pw';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
SQL

#!/bin/sh
# One-shot (compose service `temporal-schema`, temporalio/admin-tools image): creates or
# upgrades Temporal's PostgreSQL schemas. Safe to run on every `docker compose up`:
# setup-schema -v 0.0 only creates the version tables, update-schema applies what is new.
# The databases themselves are created by postgres-init.sh. Connection settings come from
# SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and SQL_PASSWORD in the environment.
set -eu

schema_root=/etc/temporal/schema/postgresql/v12
temporal-sql-tool --db temporal setup-schema -v 0.0
temporal-sql-tool --db temporal update-schema -d "$schema_root/temporal/versioned"
temporal-sql-tool --db temporal_visibility setup-schema -v 0.0
temporal-sql-tool --db temporal_visibility update-schema -d "$schema_root/visibility/versioned"
echo "Temporal schemas are up to date"

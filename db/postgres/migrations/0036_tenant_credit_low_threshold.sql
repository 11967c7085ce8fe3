-- The credit balance below which a tenant gets a credit_low alert (issue 17 §1), in the tenant's
-- currency, numeric(30, 12) like its budget; NULL raises no low alert (credit_depleted is raised
-- whatever it is). A crossing is found by the ledger writer (db/postgres/credit-alerts.ts).
ALTER TABLE tenants ADD COLUMN credit_low_threshold numeric(30, 12) CHECK (credit_low_threshold >= 0);

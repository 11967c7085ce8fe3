-- Alert kinds of prepaid credit and usage limits (issue 17), added once here so that the credit
-- and the limit work both build on one constraint:
--   credit_low: the tenant's available credit fell below its credit_low_threshold;
--   credit_depleted: the tenant's available credit reached zero;
--   usage_limit_exceeded: usage in a soft limit's window went past the limit.
-- Each is raised once per crossing (credit) or per window (limits).
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
  CHECK (kind IN ('usage_spike', 'usage_drop', 'budget_threshold', 'invoice_uncollectible', 'billing_failed',
                  'credit_low', 'credit_depleted', 'usage_limit_exceeded'));

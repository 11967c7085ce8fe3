-- Late usage horizon: how many days after a billing period ends its late events are still
-- billed (as adjustments on a later invoice, after a cancellation too). domain/pricing's
-- planSchema accepts the same range (MAX_LATE_USAGE_DAYS) with the same default.
ALTER TABLE plan_versions
  ADD COLUMN late_usage_days integer NOT NULL DEFAULT 35 CHECK (late_usage_days BETWEEN 0 AND 400);

-- An invoice issued after a cancellation that holds only late-usage adjustments.
ALTER TABLE invoices DROP CONSTRAINT invoices_reason_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_reason_check CHECK (reason IN ('period_end', 'invoice_now', 'cancel', 'late_usage'));

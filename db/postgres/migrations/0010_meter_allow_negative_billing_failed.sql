-- Negative metered values are refused at ingest and skipped by reads unless the meter allows
-- them. Only numeric aggregations can (sum, max, latest); the default keeps every meter that
-- exists as it was meant: it never goes down.
ALTER TABLE meters ADD COLUMN allow_negative boolean NOT NULL DEFAULT false;
ALTER TABLE meters ADD CONSTRAINT meters_allow_negative_check
  CHECK (NOT allow_negative OR aggregation IN ('sum', 'max', 'latest'));

-- billing_failed: an invoice (or a late-usage adjustment) could not be issued because an amount
-- or quantity is larger than an invoice stores (bigint minor units, numeric(42, 12) quantities).
-- Critical. The window is the invoiced window (the re-rated one for late usage, with its meter;
-- otherwise meter is NULL); observed is 0, as the figure itself may not fit the column, and
-- details say what overflowed.
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
  CHECK (kind IN ('usage_spike', 'usage_drop', 'budget_threshold', 'invoice_uncollectible', 'billing_failed'));

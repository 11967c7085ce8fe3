-- Dunning that ends without payment raises an alert, beside the invoice.uncollectible webhook.
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
  CHECK (kind IN ('usage_spike', 'usage_drop', 'budget_threshold', 'invoice_uncollectible'));

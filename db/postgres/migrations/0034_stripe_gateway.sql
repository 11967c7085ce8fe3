-- The Stripe gateway (issue 18 §3).

-- A tenant's customer at Stripe, created the first time one of its invoices is charged through
-- Stripe. Unique: two tenants never share a customer (and so never a saved card).
ALTER TABLE tenants ADD COLUMN stripe_customer_id text UNIQUE;

ALTER TABLE tenant_payment_settings DROP CONSTRAINT tenant_payment_settings_gateway_check;
ALTER TABLE tenant_payment_settings ADD CONSTRAINT tenant_payment_settings_gateway_check CHECK (gateway IN ('builtin', 'stripe'));

-- Every Stripe webhook event taken, by its id: Stripe delivers an event at least once (and again
-- whenever an answer is lost), so the id decides whether its signal has been sent. The events
-- belong to the platform's Stripe account, not to one tenant: operator-only.
CREATE TABLE stripe_webhook_events (
  event_id text PRIMARY KEY,
  type text NOT NULL,
  payment_intent_id text,
  invoice_id uuid,
  received_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE stripe_webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_webhook_events FORCE ROW LEVEL SECURITY;
CREATE POLICY stripe_webhook_events_operator ON stripe_webhook_events
  USING (mp_is_operator())
  WITH CHECK (mp_is_operator());

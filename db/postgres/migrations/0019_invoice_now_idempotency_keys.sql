-- Idempotency-Key of POST /api/invoices/generate: one invoice per key and tenant, whichever
-- replica answers. The first request with a key claims it with the invoice id it will use;
-- a repeat (or a concurrent twin, which waits on the insert) reads that id back.
CREATE TABLE invoice_now_keys (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  invoice_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, idempotency_key)
);

ALTER TABLE invoice_now_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_now_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY invoice_now_keys_scope ON invoice_now_keys
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- The webhook outbox: an event is recorded here in the transaction of the change it reports,
-- so it exists if and only if the change committed. A dispatcher turns each row into one
-- delivery per subscribed endpoint and marks it dispatched; the deterministic event id makes
-- recording the same fact twice (a retried activity, a replayed workflow) a no-op.
CREATE TABLE webhook_outbox (
  event_id text PRIMARY KEY,
  event_type text NOT NULL,
  tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
  occurred_at timestamptz NOT NULL,
  -- The webhook body as endpoints receive it.
  payload jsonb NOT NULL,
  dispatched_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_outbox_undispatched_idx ON webhook_outbox (created_at) WHERE dispatched_at IS NULL;

ALTER TABLE webhook_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_outbox_scope ON webhook_outbox
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

-- A subscription's workflow is started after the subscription commits, never inside its
-- transaction (a commit that then fails would leave a workflow without a row). The row here,
-- written with the subscription, holds what to start; started_at is set once Temporal has the
-- workflow. A row still unstarted (the start failed, or the process died in between) is
-- started by the reconciler, idempotently: the workflow id is deterministic and a duplicate
-- start counts as started.
CREATE TABLE subscription_workflow_starts (
  subscription_id uuid PRIMARY KEY REFERENCES subscriptions (id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  workflow_id text NOT NULL,
  input jsonb NOT NULL,
  -- The search attributes to set ({tenantId, status}), or null where the server has none.
  search_attributes jsonb,
  started_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_workflow_starts_pending_idx ON subscription_workflow_starts (created_at) WHERE started_at IS NULL;

ALTER TABLE subscription_workflow_starts ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscription_workflow_starts FORCE ROW LEVEL SECURITY;
CREATE POLICY subscription_workflow_starts_scope ON subscription_workflow_starts
  USING (mp_is_operator() OR tenant_id = mp_current_tenant())
  WITH CHECK (mp_is_operator() OR tenant_id = mp_current_tenant());

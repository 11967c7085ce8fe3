-- The IANA zone a subscription's periods follow: its tenant's timezone when it was created,
-- kept for good, so that a tenant who later changes its zone does not move the periods of the
-- subscriptions already running (their workflow keeps the zone it started with) nor the local
-- dates their invoices print. Every subscription from before zones bills in UTC.
ALTER TABLE subscriptions ADD COLUMN timezone text NOT NULL DEFAULT 'UTC';

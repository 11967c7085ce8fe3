-- The `meter` of an alert and of an alert rule is the event type that was (or is to be)
-- watched. Ingest accepts event types of up to 256 characters, so these columns accept the
-- same (domain/anomaly/limits.ts): a longer type would make a spike unstorable and stop the
-- scan for everyone.
ALTER TABLE alerts DROP CONSTRAINT alerts_meter_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_meter_check CHECK (length(meter) BETWEEN 1 AND 256);
ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_meter_check;
ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_meter_check CHECK (length(meter) BETWEEN 1 AND 256);

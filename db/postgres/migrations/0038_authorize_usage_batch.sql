-- Authorizations of one (tenant, meter) decided together: one round trip and one commit for all
-- of them, instead of one each. Each is decided by mp_authorize_usage (0037) in turn, in the
-- order given, inside this one transaction, so each answer is the answer it would get alone in
-- that order: the first call locks the counters and the later ones find them locked by their own
-- transaction. Every authorization of a hot (tenant, meter) waits on the same counter rows, so
-- committing them together is what lets more of them through each second (api/limits,
-- authorize-batcher.ts).
CREATE FUNCTION mp_authorize_usage_batch(
  p_tenant uuid,
  p_meter text,
  p_quantities numeric[],
  p_ttl_seconds integer[],
  p_keys text[]
) RETURNS TABLE (ord integer, prior boolean, limits integer, counters integer, needs_credit boolean, answer json, crossed json)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_keys, 1), 0) LOOP
    RETURN QUERY SELECT i, a.* FROM mp_authorize_usage(p_tenant, p_meter, p_quantities[i], p_ttl_seconds[i], p_keys[i], NULL) a;
  END LOOP;
END
$$;

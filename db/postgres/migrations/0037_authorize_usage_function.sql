-- The authorization of issue 17 §2 as one function, so that it is one round trip and one
-- implicit transaction: the counters stay locked only while PostgreSQL runs it and commits, never
-- across a turn of the API's event loop (a pooled transaction held the hot counter row through
-- BEGIN, the statement and COMMIT, each waiting on a busy Node process). It sets the tenant's
-- scope itself (row-level security still applies: the function runs as its caller), and
-- within a transaction that already has the scope it changes nothing.
--
-- The steps, and why no two authorizations decide on the same figures: db/README.md, *Usage
-- limits*, and usageLimitsRepository.authorize, which calls it.
CREATE FUNCTION mp_authorize_usage(
  p_tenant uuid,
  p_meter text,
  p_quantity numeric,
  p_ttl_seconds integer,
  p_key text,
  p_credit_cap numeric
) RETURNS TABLE (prior boolean, limits integer, counters integer, needs_credit boolean, answer json, crossed json)
LANGUAGE sql VOLATILE AS $$
  SELECT set_config('app.tenant_id', p_tenant::text, true), set_config('app.operator', 'off', true);
  WITH lim AS (
    SELECT id, mode, limit_value FROM usage_limits WHERE tenant_id = p_tenant AND meter = p_meter
  ), prior AS (
    SELECT id FROM usage_reservations WHERE tenant_id = p_tenant AND idempotency_key = p_key
  ), locked AS (
    SELECT c.limit_id, c.window_start, c.window_end, c.used, c.reserved, lim.mode, lim.limit_value
    FROM usage_limit_counters c JOIN lim ON lim.id = c.limit_id
    WHERE c.window_start <= now() AND c.window_end > now() AND NOT EXISTS (SELECT 1 FROM prior)
    ORDER BY c.limit_id, c.window_start
    FOR UPDATE OF c
  ), expired AS (
    UPDATE usage_reservations r SET state = 'expired'
    WHERE r.tenant_id = p_tenant AND r.meter = p_meter AND r.state = 'open' AND r.expires_at <= now()
      AND (SELECT count(*) FROM locked) > 0
      AND NOT EXISTS (
        SELECT 1 FROM unnest(r.limit_ids, r.window_starts) p(l, w)
        WHERE NOT EXISTS (SELECT 1 FROM locked k WHERE k.limit_id = p.l AND k.window_start = p.w))
    RETURNING r.limit_ids, r.window_starts, r.quantity
  ), released AS (
    SELECT p.l AS limit_id, p.w AS window_start, sum(e.quantity) AS q
    FROM expired e, unnest(e.limit_ids, e.window_starts) p(l, w) GROUP BY 1, 2
  ), fig AS (
    SELECT k.*, k.reserved - coalesce(rl.q, 0) AS reserved_now
    FROM locked k LEFT JOIN released rl USING (limit_id, window_start)
  ), decision AS (
    SELECT (SELECT count(*) FROM lim)::int AS limits, count(*)::int AS counters,
           coalesce(bool_and(used + reserved_now + p_quantity <= limit_value) FILTER (WHERE mode IN ('hard', 'credit')), true)
             AND coalesce(bool_and(reserved_now + p_quantity <= p_credit_cap) FILTER (WHERE mode = 'credit'), true) AS fits,
           coalesce(bool_or(used + reserved_now + p_quantity > limit_value) FILTER (WHERE mode = 'soft'), false) AS over,
           coalesce(bool_or(mode = 'credit'), false) AND p_credit_cap IS NULL AS needs_credit
    FROM fig
  ), verdict AS (
    SELECT limits, counters, limits > 0 AND counters = limits AND NOT needs_credit AS decided,
           limits > 0 AND counters = limits AND NOT needs_credit AND fits AS ok, over, needs_credit
    FROM decision
  ), tight AS (
    SELECT f.limit_value, f.limit_value - f.used - f.reserved_now - CASE WHEN v.ok THEN p_quantity ELSE 0 END AS remaining
    FROM fig f, verdict v ORDER BY (f.mode = 'soft'), 2 LIMIT 1
  ), ins AS (
    INSERT INTO usage_reservations (tenant_id, meter, quantity, limit_ids, window_starts, idempotency_key, state, authorized,
                                    over_limit, remaining, limit_value, expires_at)
    SELECT p_tenant, p_meter, p_quantity,
           (SELECT array_agg(limit_id ORDER BY limit_id) FROM fig), (SELECT array_agg(window_start ORDER BY limit_id) FROM fig),
           p_key, CASE WHEN v.ok THEN 'open' ELSE 'refused' END, v.ok, v.ok AND v.over,
           (SELECT remaining FROM tight), (SELECT limit_value FROM tight), now() + make_interval(secs => p_ttl_seconds)
    FROM verdict v WHERE v.decided
    ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
    RETURNING id, meter, quantity::text AS quantity, state, authorized, over_limit, remaining::text AS remaining,
              limit_value::text AS limit_value, expires_at
  ), upd AS (
    UPDATE usage_limit_counters c
    SET reserved = c.reserved - coalesce(rl.q, 0) + CASE WHEN i.state = 'open' THEN p_quantity ELSE 0 END
    FROM fig f LEFT JOIN released rl USING (limit_id, window_start) LEFT JOIN ins i ON true
    WHERE c.limit_id = f.limit_id AND c.window_start = f.window_start AND (rl.q IS NOT NULL OR i.state = 'open')
    RETURNING c.limit_id
  )
  SELECT EXISTS (SELECT 1 FROM prior), v.limits, v.counters, v.needs_credit,
         (SELECT row_to_json(i) FROM ins i),
         coalesce((SELECT json_agg(json_build_object('limit_id', f.limit_id, 'window_start', f.window_start, 'window_end', f.window_end,
                                                     'limit_value', f.limit_value::text, 'total', (f.used + f.reserved_now + p_quantity)::text))
                   FROM fig f, ins i
                   WHERE i.state = 'open' AND f.mode = 'soft' AND f.used + f.reserved_now <= f.limit_value
                     AND f.used + f.reserved_now + p_quantity > f.limit_value), '[]')
  FROM verdict v;
$$;

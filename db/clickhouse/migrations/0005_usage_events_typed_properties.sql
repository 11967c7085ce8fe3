-- Typed properties: what reads look up in an event's data, stored at insert instead of parsed
-- from the JSON text at every read (see db/README.md, "Typed properties").
--
-- The data is flattened to its addressable nodes: every property reachable by a meter path
-- (at most 8 segments, each made of A-Z a-z 0-9 _ $ @ : - and 1 to 64 characters long; any other
-- key, such as one with a dot or a quote, cannot be named by a path, so it and what lies under
-- it are left out, and no two nodes can share a path), keyed by the path joined with dots.
--   data_texts:   each non-null leaf (string, number, boolean, array) -> its text as reads
--                 compare it: a string's content, anything else its JSON text as stored;
--   data_objects: the paths that hold an object (a read of one takes its JSON text from data);
--   data_numbers: the leaves whose text is a metered number (at most 26 integer and 12
--                 fractional digits, as a number or a decimal string) -> that value, exact.
-- A missing key, or JSON null, is in none of them. The text of each node is read with the same
-- JSON functions the reads used before, so no value changes.
--
-- MATERIALIZED: ClickHouse computes them from data at every insert (no writer sends them, so no
-- row can disagree with its data), and in the parts written before this migration it computes
-- them from data when they are read until MATERIALIZE COLUMN below has stored them.
-- Meters are not involved: any meter, created at any time, reads the same columns.
ALTER TABLE usage_events ADD COLUMN IF NOT EXISTS data_texts Map(LowCardinality(String), String) MATERIALIZED CAST(arrayMap(x -> (x.1, if(startsWith(x.2, '"'), JSONExtractString(x.2), x.2)), arrayFilter(x -> x.2 != 'null' AND NOT startsWith(x.2, '{'), arrayFold((acc, i) -> (arrayFlatten(arrayMap(x -> arrayMap(y -> (concat(x.1, '.', y.1), y.2), arrayFilter(y -> match(y.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(x.2))), arrayFilter(x -> startsWith(x.2, '{'), acc.1))), arrayConcat(acc.2, acc.1)), range(8), (arrayFilter(x -> match(x.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(data)), CAST([], 'Array(Tuple(String, String))'))).2)), 'Map(LowCardinality(String), String)');

ALTER TABLE usage_events ADD COLUMN IF NOT EXISTS data_objects Array(LowCardinality(String)) MATERIALIZED arrayMap(x -> x.1, arrayFilter(x -> startsWith(x.2, '{'), arrayFold((acc, i) -> (arrayFlatten(arrayMap(x -> arrayMap(y -> (concat(x.1, '.', y.1), y.2), arrayFilter(y -> match(y.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(x.2))), arrayFilter(x -> startsWith(x.2, '{'), acc.1))), arrayConcat(acc.2, acc.1)), range(8), (arrayFilter(x -> match(x.1, '^[A-Za-z0-9_$@:-]{1,64}$'), JSONExtractKeysAndValuesRaw(data)), CAST([], 'Array(Tuple(String, String))'))).2));

ALTER TABLE usage_events ADD COLUMN IF NOT EXISTS data_numbers Map(LowCardinality(String), Decimal(38, 12)) MATERIALIZED mapApply((k, v) -> (k, toDecimal128(v, 12)), mapFilter((k, v) -> match(v, '^-?[0-9]{1,26}([.][0-9]{1,12})?$'), data_texts));

-- Existing rows: store the columns (synchronous mutations, so reads after the migration read
-- them rather than parse data). Running them again rewrites the same values.
ALTER TABLE usage_events MATERIALIZE COLUMN data_texts;

ALTER TABLE usage_events MATERIALIZE COLUMN data_objects;

ALTER TABLE usage_events MATERIALIZE COLUMN data_numbers;

-- Rate cards (issue 18 §1): a charge that prices by a property of the usage bills one usage line
-- per value of it. The line's dimensions name that value, {"<property>": "<value>"} (null when the
-- events did not carry the property); lines of plain charges have none. Late usage is grouped by
-- it, so each value's adjustment is rated with that value's pricing.
ALTER TABLE invoice_lines ADD COLUMN dimensions jsonb
  CHECK (dimensions IS NULL OR jsonb_typeof(dimensions) = 'object');

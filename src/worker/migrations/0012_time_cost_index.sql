-- token_usage's time index also carries cost_usd: the sums over a time range that the status line,
-- budgets, the active block and the reports' part-hours read (src/report/spend.ts callSums:
-- count, count(cost_usd), total(cost_usd) WHERE timestamp in a range) then come from the index
-- alone, without a lookup of each call's row. Same name as before, so that the old Python hook's
-- CREATE INDEX IF NOT EXISTS idx_token_usage_timestamp finds it and adds nothing.
DROP INDEX IF EXISTS idx_token_usage_timestamp;
CREATE INDEX idx_token_usage_timestamp ON token_usage(timestamp, cost_usd);

-- 0007: the ledger keeps at most one status line snapshot per session, its newest (the highest
-- id), so that a session idling with a 1 s refresh no longer adds a `payloads` row a second.
-- The worker prunes the older ones as each snapshot applies (apply-statusline.ts); this removes
-- those recorded before. Two kinds of row are kept: a snapshot whose id is in `dead_letters`
-- (its row is how a retried dead letter shows as applied), and a hook payload that calls itself
-- StatusLine (a snapshot is known by its id, `…-statusline`). Applying a pruned snapshot again
-- adds no sample and never moves reported_* back: docs/ARCHITECTURE.md, invariant 17.
CREATE INDEX idx_payloads_statusline ON payloads(session_id, id) WHERE event = 'StatusLine';
DELETE FROM payloads
    WHERE event = 'StatusLine'
      AND id GLOB '*-statusline'
      AND id < (SELECT max(n.id) FROM payloads n WHERE n.event = 'StatusLine' AND n.session_id = payloads.session_id AND n.id GLOB '*-statusline')
      AND id NOT IN (SELECT id FROM dead_letters);

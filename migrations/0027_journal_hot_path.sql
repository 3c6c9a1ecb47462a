-- A lean journal, part 3 (issue 21 item 2): only the indexes the hot path needs. Nothing reads the
-- journal by type — every reader goes by seq (the primary key: tiles, `journal`, rebuild, audit,
-- export stream it in seq order) or by record_hash (the unique key that refuses a replayed record) —
-- so journal_type_seq_idx was one more B-tree insert per appended record and no query's plan.
drop index journal_type_seq_idx;

-- Issue 24 item 5: the compact range of the peer's tree at the checkpoint this node last cosigned —
-- the roots of its perfect subtrees, left to right (at most log2(size) + 1 hashes, JSON array of
-- base64). A new checkpoint is judged by extending it with the leaves mirrored since, so judging costs
-- O(new records + log n) rather than a recomputation over the whole peer log. Null: not kept yet
-- (computed once from the mirror on the next checkpoint).
alter table federation_peers add column cosigned_range text;

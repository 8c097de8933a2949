-- Reverting an import looks up each removed person's import rows, review pairs and the batch's
-- encounters: without these indexes every person cost a scan of the tables (a batch of
-- 100,000 rows took hours).
CREATE INDEX import_rows_person ON import_rows(person_id);
CREATE INDEX import_rows_batch ON import_rows(batch_id);
CREATE INDEX match_reviews_right ON match_reviews(right_id);
CREATE INDEX encounters_batch ON encounters(batch_id);

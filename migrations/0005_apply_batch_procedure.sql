-- The whole drain step in one round trip: apply the batch, commit, and report the WAL position
-- after the commit. Once a replica has replayed up to that LSN it has every transaction of the
-- batch. Must be CALLed outside an explicit transaction block (it commits).
CREATE OR REPLACE PROCEDURE opsdb_apply_batch(batch jsonb, INOUT outcomes jsonb DEFAULT NULL,
                                              INOUT lsn text DEFAULT NULL)
LANGUAGE plpgsql AS $proc$
BEGIN
  outcomes := opsdb_apply_transactions(batch);
  COMMIT;
  lsn := pg_current_wal_lsn()::text;
END;
$proc$;

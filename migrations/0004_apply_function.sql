-- Applies a batch of buffered transactions in one statement, so a batch costs one round trip to
-- the main database however many steps it holds.
--
-- Each transaction runs in its own subtransaction (a savepoint) together with its ledger row:
--   * a transaction already in buffered_transaction_log is skipped, which makes re-running a
--     batch after a crash or a lost COMMIT acknowledgement harmless;
--   * a data error (constraint, invalid value, update of a missing row) rolls back only that
--     transaction and ends the batch; the transactions before it stay applied and the caller
--     commits them;
--   * anything that is not the transaction's fault (serialization failure, deadlock, shutdown,
--     cancel, resource exhaustion) is re-raised so the whole statement fails and is retried.
--
-- Table and column names arrive as data; they are checked against the tables below and quoted
-- with %I. The calling service has already checked them against its schema registry. Values
-- never become SQL text: they are converted by jsonb_populate_record(set).
CREATE OR REPLACE FUNCTION opsdb_apply_transactions(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  tx jsonb;
  step jsonb;
  tbl text;
  cols text;
  touched bigint;
  outcomes jsonb := '[]'::jsonb;
  detail text;
BEGIN
  FOR tx IN SELECT value FROM jsonb_array_elements(batch) WITH ORDINALITY AS t(value, n) ORDER BY n
  LOOP
    BEGIN
      INSERT INTO buffered_transaction_log (transaction_id, site, origin, created_at)
      VALUES ((tx->>'id')::uuid, tx->>'site', tx->>'origin', (tx->>'created_at')::timestamptz)
      ON CONFLICT (transaction_id) DO NOTHING;
      IF NOT FOUND THEN
        outcomes := outcomes || jsonb_build_object('id', tx->>'id', 'outcome', 'skipped');
        CONTINUE;
      END IF;

      FOR step IN SELECT value FROM jsonb_array_elements(tx->'steps') WITH ORDINALITY AS s(value, n) ORDER BY n
      LOOP
        tbl := step->>'table';
        IF tbl IS NULL OR tbl NOT IN ('executed_obs_unit', 'executed_obs_unit_status_change',
                                      'instrument_module_configuration', 'raw_data_package',
                                      'raw_data_file') THEN
          RAISE EXCEPTION 'table % may not be written by transactions', tbl USING ERRCODE = '42P01';
        END IF;
        CASE step->>'op'
          WHEN 'insert' THEN
            SELECT string_agg(format('%I', k), ', ') INTO cols FROM jsonb_object_keys(step->'row') AS k;
            EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM jsonb_populate_record(NULL::%I, $1)',
                           tbl, cols, cols, tbl)
              USING step->'row';
          WHEN 'insert_many' THEN
            SELECT string_agg(DISTINCT format('%I', k), ', ') INTO cols
              FROM jsonb_array_elements(step->'rows') AS r(value), jsonb_object_keys(r.value) AS k;
            EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM jsonb_populate_recordset(NULL::%I, $1)',
                           tbl, cols, cols, tbl)
              USING step->'rows';
          WHEN 'update' THEN
            SELECT string_agg(format('%I', k), ', ') INTO cols FROM jsonb_object_keys(step->'set') AS k;
            EXECUTE format('UPDATE %I SET (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%I, $1)) WHERE id = $2',
                           tbl, cols, cols, tbl)
              USING step->'set', (step->>'id')::uuid;
            GET DIAGNOSTICS touched = ROW_COUNT;
            IF touched = 0 THEN
              RAISE EXCEPTION '% % does not exist', tbl, step->>'id' USING ERRCODE = 'P0002';
            END IF;
          ELSE
            RAISE EXCEPTION 'unknown step op %', step->>'op' USING ERRCODE = '22023';
        END CASE;
      END LOOP;
      outcomes := outcomes || jsonb_build_object('id', tx->>'id', 'outcome', 'applied');
    EXCEPTION WHEN OTHERS THEN
      -- Not the transaction's fault: fail the whole batch so it is retried as a unit.
      IF SQLSTATE ~ '^(08|40|53|55|57|58|XX)' THEN
        RAISE;
      END IF;
      GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
      outcomes := outcomes || jsonb_build_object(
        'id', tx->>'id', 'outcome', 'failed', 'sqlstate', SQLSTATE,
        'message', SQLERRM || coalesce(nullif(': ' || detail, ': '), ''));
      RETURN outcomes;
    END;
  END LOOP;
  RETURN outcomes;
END;
$fn$;

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
-- The statements are written out per table rather than built with format() at run time: static
-- statements are parsed and planned once per session, where dynamic ones were parsed again for
-- every step. Every table and column a transaction may write is listed here, so a step naming
-- anything else is refused (42P01 unknown table, 42703 unknown or non-updatable column) instead
-- of being ignored; the calling service has checked them against its schema registry already.
-- Values never become SQL text: they are converted by jsonb_populate_record. Columns with a
-- default take it only when the row leaves them out; an explicit null still violates NOT NULL.

-- Applies one step of a transaction.
CREATE OR REPLACE FUNCTION opsdb_apply_step(step jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  tbl text := step->>'table';
  op text := step->>'op';
  rows jsonb;
  s jsonb;
  allowed text[];
  bad text;
  touched bigint;
BEGIN
  allowed := CASE tbl
    WHEN 'executed_obs_unit' THEN CASE WHEN op = 'update'
      THEN ARRAY['status', 'end_time', 'updated_at']
      ELSE ARRAY['id', 'obs_unit_id', 'status', 'start_time', 'end_time', 'conditions',
                 'created_at', 'updated_at'] END
    WHEN 'executed_obs_unit_status_change' THEN CASE WHEN op = 'update' THEN ARRAY[]::text[]
      ELSE ARRAY['id', 'executed_obs_unit_id', 'from_status', 'to_status', 'reason',
                 'changed_at'] END
    WHEN 'instrument_module_configuration' THEN CASE WHEN op = 'update' THEN ARRAY[]::text[]
      ELSE ARRAY['id', 'executed_obs_unit_id', 'instrument_module_id', 'configuration',
                 'recorded_at'] END
    WHEN 'raw_data_package' THEN CASE WHEN op = 'update'
      THEN ARRAY['status', 'state', 'size_bytes', 'checksum', 'updated_at']
      ELSE ARRAY['id', 'name', 'executed_obs_unit_id', 'instrument_module_id', 'status', 'state',
                 'size_bytes', 'checksum', 'metadata', 'created_at', 'updated_at'] END
    WHEN 'raw_data_file' THEN CASE WHEN op = 'update' THEN ARRAY['raw_data_package_id']
      ELSE ARRAY['id', 'name', 'relative_path', 'executed_obs_unit_id', 'instrument_module_id',
                 'raw_data_package_id', 'size_bytes', 'checksum', 'file_type', 'created_at'] END
  END;
  IF allowed IS NULL THEN
    RAISE EXCEPTION 'table % may not be written by transactions', tbl USING ERRCODE = '42P01';
  END IF;

  CASE op
    WHEN 'insert' THEN rows := jsonb_build_array(step->'row');
    WHEN 'insert_many' THEN rows := step->'rows';
    WHEN 'update' THEN s := step->'set';
    ELSE RAISE EXCEPTION 'unknown step op %', op USING ERRCODE = '22023';
  END CASE;

  SELECT k INTO bad
    FROM jsonb_array_elements(coalesce(rows, jsonb_build_array(s))) AS r(value),
         jsonb_object_keys(r.value) AS k
   WHERE k <> ALL (allowed)
   LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'column %.% cannot be % by transactions', tbl, bad,
      CASE WHEN op = 'update' THEN 'updated' ELSE 'written' END USING ERRCODE = '42703';
  END IF;

  IF op = 'update' THEN
    CASE tbl
      WHEN 'executed_obs_unit' THEN
        UPDATE executed_obs_unit t SET
          status = CASE WHEN s ? 'status' THEN r.status ELSE t.status END,
          end_time = CASE WHEN s ? 'end_time' THEN r.end_time ELSE t.end_time END,
          updated_at = CASE WHEN s ? 'updated_at' THEN r.updated_at ELSE t.updated_at END
        FROM jsonb_populate_record(NULL::executed_obs_unit, s) r
        WHERE t.id = (step->>'id')::uuid;
      WHEN 'raw_data_package' THEN
        UPDATE raw_data_package t SET
          status = CASE WHEN s ? 'status' THEN r.status ELSE t.status END,
          state = CASE WHEN s ? 'state' THEN r.state ELSE t.state END,
          size_bytes = CASE WHEN s ? 'size_bytes' THEN r.size_bytes ELSE t.size_bytes END,
          checksum = CASE WHEN s ? 'checksum' THEN r.checksum ELSE t.checksum END,
          updated_at = CASE WHEN s ? 'updated_at' THEN r.updated_at ELSE t.updated_at END
        FROM jsonb_populate_record(NULL::raw_data_package, s) r
        WHERE t.id = (step->>'id')::uuid;
      WHEN 'raw_data_file' THEN
        UPDATE raw_data_file t SET raw_data_package_id = r.raw_data_package_id
        FROM jsonb_populate_record(NULL::raw_data_file, s) r
        WHERE t.id = (step->>'id')::uuid;
      ELSE
        RAISE EXCEPTION 'rows of % cannot be updated by transactions', tbl USING ERRCODE = '42703';
    END CASE;
    GET DIAGNOSTICS touched = ROW_COUNT;
    IF touched = 0 THEN
      RAISE EXCEPTION '% % does not exist', tbl, step->>'id' USING ERRCODE = 'P0002';
    END IF;
    RETURN;
  END IF;

  CASE tbl
    WHEN 'executed_obs_unit' THEN
      INSERT INTO executed_obs_unit (id, obs_unit_id, status, start_time, end_time, conditions,
                                     created_at, updated_at)
      SELECT r.id, r.obs_unit_id, r.status, r.start_time, r.end_time,
             CASE WHEN j.value ? 'conditions' THEN r.conditions ELSE '{}'::jsonb END,
             CASE WHEN j.value ? 'created_at' THEN r.created_at ELSE now() END,
             CASE WHEN j.value ? 'updated_at' THEN r.updated_at ELSE now() END
        FROM jsonb_array_elements(rows) WITH ORDINALITY AS j(value, n),
             jsonb_populate_record(NULL::executed_obs_unit, j.value) AS r
       ORDER BY j.n;
    WHEN 'executed_obs_unit_status_change' THEN
      INSERT INTO executed_obs_unit_status_change (id, executed_obs_unit_id, from_status,
                                                   to_status, reason, changed_at)
      SELECT r.id, r.executed_obs_unit_id, r.from_status, r.to_status, r.reason,
             CASE WHEN j.value ? 'changed_at' THEN r.changed_at ELSE now() END
        FROM jsonb_array_elements(rows) WITH ORDINALITY AS j(value, n),
             jsonb_populate_record(NULL::executed_obs_unit_status_change, j.value) AS r
       ORDER BY j.n;
    WHEN 'instrument_module_configuration' THEN
      INSERT INTO instrument_module_configuration (id, executed_obs_unit_id, instrument_module_id,
                                                   configuration, recorded_at)
      SELECT r.id, r.executed_obs_unit_id, r.instrument_module_id, r.configuration,
             CASE WHEN j.value ? 'recorded_at' THEN r.recorded_at ELSE now() END
        FROM jsonb_array_elements(rows) WITH ORDINALITY AS j(value, n),
             jsonb_populate_record(NULL::instrument_module_configuration, j.value) AS r
       ORDER BY j.n;
    WHEN 'raw_data_package' THEN
      INSERT INTO raw_data_package (id, name, executed_obs_unit_id, instrument_module_id, status,
                                    state, size_bytes, checksum, metadata, created_at, updated_at)
      SELECT r.id, r.name, r.executed_obs_unit_id, r.instrument_module_id,
             CASE WHEN j.value ? 'status' THEN r.status ELSE 'building' END,
             CASE WHEN j.value ? 'state' THEN r.state ELSE 'waiting' END,
             r.size_bytes, r.checksum,
             CASE WHEN j.value ? 'metadata' THEN r.metadata ELSE '{}'::jsonb END,
             CASE WHEN j.value ? 'created_at' THEN r.created_at ELSE now() END,
             CASE WHEN j.value ? 'updated_at' THEN r.updated_at ELSE now() END
        FROM jsonb_array_elements(rows) WITH ORDINALITY AS j(value, n),
             jsonb_populate_record(NULL::raw_data_package, j.value) AS r
       ORDER BY j.n;
    WHEN 'raw_data_file' THEN
      INSERT INTO raw_data_file (id, name, relative_path, executed_obs_unit_id,
                                 instrument_module_id, raw_data_package_id, size_bytes, checksum,
                                 file_type, created_at)
      SELECT r.id, r.name, r.relative_path, r.executed_obs_unit_id, r.instrument_module_id,
             r.raw_data_package_id, r.size_bytes, r.checksum, r.file_type,
             CASE WHEN j.value ? 'created_at' THEN r.created_at ELSE now() END
        FROM jsonb_array_elements(rows) WITH ORDINALITY AS j(value, n),
             jsonb_populate_record(NULL::raw_data_file, j.value) AS r
       ORDER BY j.n;
  END CASE;
END;
$fn$;

-- Transactions in order, each in its own savepoint with its ledger row. Outcomes are collected
-- in an array and built into JSON once.
CREATE OR REPLACE FUNCTION opsdb_apply_transactions(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  tx jsonb;
  step jsonb;
  outcomes jsonb[] := '{}';
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
        PERFORM opsdb_apply_step(step);
      END LOOP;
      outcomes := outcomes || jsonb_build_object('id', tx->>'id', 'outcome', 'applied');
    EXCEPTION WHEN OTHERS THEN
      IF SQLSTATE ~ '^(08|40|53|55|57|58|XX)' THEN
        RAISE;
      END IF;
      GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
      outcomes := outcomes || jsonb_build_object(
        'id', tx->>'id', 'outcome', 'failed', 'sqlstate', SQLSTATE,
        'message', SQLERRM || coalesce(nullif(': ' || detail, ': '), ''));
      RETURN to_jsonb(outcomes);
    END;
  END LOOP;
  RETURN to_jsonb(outcomes);
END;
$fn$;

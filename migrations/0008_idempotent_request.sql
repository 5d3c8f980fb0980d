-- Requests sent with an Idempotency-Key: one row per derived transaction id, written in the
-- same transaction as the write itself, holding the hash of the request (method, path, body).
-- A retry with the key finds it and is answered as the original was; the key reused for a
-- different request is refused (422) instead of being applied or silently ignored.
CREATE TABLE IF NOT EXISTS idempotent_request (
    id           uuid PRIMARY KEY,
    request_hash text NOT NULL CONSTRAINT idempotent_request_hash_check
                 CHECK (request_hash ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idempotent_request_created_at_idx ON idempotent_request (created_at);

-- The step function of 0004 again, with idempotent_request among the tables a transaction may
-- write (migrations are never edited once applied: a change is a new definition).
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
    WHEN 'idempotent_request' THEN CASE WHEN op = 'update' THEN ARRAY[]::text[]
      ELSE ARRAY['id', 'request_hash', 'created_at'] END
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
    WHEN 'idempotent_request' THEN
      INSERT INTO idempotent_request (id, request_hash, created_at)
      SELECT r.id, r.request_hash,
             CASE WHEN j.value ? 'created_at' THEN r.created_at ELSE now() END
        FROM jsonb_array_elements(rows) WITH ORDINALITY AS j(value, n),
             jsonb_populate_record(NULL::idempotent_request, j.value) AS r
       ORDER BY j.n;
  END CASE;
END;
$fn$;

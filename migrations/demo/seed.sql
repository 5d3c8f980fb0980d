-- Demo reference data for `ops-db-api seed-demo`. Idempotent: explicit ids (tests rely on them, e.g. obs_unit 1
-- and 2), ON CONFLICT DO NOTHING, and each identity sequence moved past the highest id so later inserts
-- without an id do not collide.

INSERT INTO observatory (id, name, description) OVERRIDING SYSTEM VALUE VALUES
    (1, 'CCAT', 'CCAT Observatory, Cerro Chajnantor, Atacama, Chile')
ON CONFLICT DO NOTHING;

INSERT INTO telescope (id, observatory_id, name, description, lat_deg, lon_deg, elevation_m)
OVERRIDING SYSTEM VALUE VALUES
    (1, 1, 'FYST', 'Fred Young Submillimeter Telescope, 6 m aperture', -22.9856, -67.7405, 5612)
ON CONFLICT DO NOTHING;

INSERT INTO instrument (id, telescope_id, name, description) OVERRIDING SYSTEM VALUE VALUES
    (1, 1, 'Prime-Cam', 'First-light broadband camera and imaging spectrometer'),
    (2, 1, 'CHAI', 'CCAT Heterodyne Array Instrument')
ON CONFLICT DO NOTHING;

INSERT INTO instrument_module (id, instrument_id, name, description, frequency_ghz)
OVERRIDING SYSTEM VALUE VALUES
    (1, 1, '280 GHz', 'Prime-Cam 280 GHz broadband KID module', 280),
    (2, 1, '350 GHz', 'Prime-Cam 350 GHz broadband KID module', 350),
    (3, 1, '850 GHz', 'Prime-Cam 850 GHz broadband KID module', 850),
    (4, 2, 'LFA', 'CHAI low frequency array, [CI] 1-0 at 492 GHz', 492.161),
    (5, 2, 'HFA', 'CHAI high frequency array, [CI] 2-1 at 809 GHz', 809.342)
ON CONFLICT DO NOTHING;

INSERT INTO observing_program (id, name, short_name, description) OVERRIDING SYSTEM VALUE VALUES
    (1, 'Galactic Ecology', 'GEco', 'Star formation and the interstellar medium in the Milky Way and Magellanic Clouds'),
    (2, 'Nearby Galaxies', 'NGal', 'Dust and gas in nearby starburst galaxies'),
    (3, 'Calibration', 'CAL', 'Flux calibration, pointing and atmospheric characterisation')
ON CONFLICT DO NOTHING;

INSERT INTO sub_observing_program (id, observing_program_id, name, short_name, description)
OVERRIDING SYSTEM VALUE VALUES
    (1, 1, 'Galactic Plane', 'GEco-GP', 'Massive star-forming regions in the Galactic plane'),
    (2, 1, 'Magellanic Clouds', 'GEco-MC', 'Star formation at low metallicity'),
    (3, 2, 'Starburst Nuclei', 'NGal-SB', 'Nuclear starbursts'),
    (4, 3, 'Planets', 'CAL-PL', 'Planetary flux calibrators'),
    (5, 3, 'Skydips', 'CAL-SD', 'Constant-elevation scans for atmosphere and detector characterisation')
ON CONFLICT DO NOTHING;

INSERT INTO obs_mode (id, name, description) OVERRIDING SYSTEM VALUE VALUES
    (1, 'raster', 'Raster map of discrete pointings'),
    (2, 'pong', 'Pong scan: closed, rotating space-filling pattern'),
    (3, 'otf', 'On-the-fly mapping'),
    (4, 'ces', 'Constant-elevation scan')
ON CONFLICT DO NOTHING;

INSERT INTO source (id, name, type, ra_deg, dec_deg, elevation_deg, description) OVERRIDING SYSTEM VALUE VALUES
    (1, 'Orion KL', 'fixed_source', 83.8221, -5.3911, NULL, 'Kleinmann-Low nebula in the Orion molecular cloud'),
    (2, 'Sgr B2', 'fixed_source', 266.835, -28.385, NULL, 'Sagittarius B2, giant molecular cloud near the Galactic Center'),
    (3, 'NGC 253', 'fixed_source', 11.888, -25.288, NULL, 'Sculptor Galaxy, nearby nuclear starburst'),
    (4, '30 Doradus', 'fixed_source', 84.676, -69.101, NULL, 'Tarantula Nebula in the Large Magellanic Cloud'),
    (5, 'Carina Nebula', 'fixed_source', 161.265, -59.867, NULL, 'NGC 3372, massive star-forming complex'),
    (6, 'Jupiter', 'solar_system_object', NULL, NULL, NULL, 'Planetary calibrator'),
    (7, 'CES-45', 'constant_elevation_source', NULL, NULL, 45, 'Constant-elevation scan at 45 degrees')
ON CONFLICT DO NOTHING;

INSERT INTO source_alias (id, source_id, alias) OVERRIDING SYSTEM VALUE VALUES
    (1, 1, 'Orion-KL'),
    (2, 1, 'OMC-1'),
    (3, 3, 'Sculptor Galaxy'),
    (4, 4, 'Tarantula Nebula'),
    (5, 5, 'NGC 3372')
ON CONFLICT DO NOTHING;

INSERT INTO obs_unit (id, name, description, source_id, observing_program_id, sub_observing_program_id,
                      obs_mode_id, instrument_module_id, priority, min_elevation_deg, nominal_duration_s)
OVERRIDING SYSTEM VALUE VALUES
    (1, 'OrionKL_PrimeCam280_pong', 'Orion KL continuum map at 280 GHz', 1, 1, 1, 2, 1, 1.0, 30, 3600),
    (2, 'SgrB2_CHAI-LFA_otf', 'Sgr B2 [CI] 1-0 on-the-fly map', 2, 1, 1, 3, 4, 1.0, 30, 5400),
    (3, 'NGC253_PrimeCam350_pong', 'NGC 253 continuum map at 350 GHz', 3, 2, 3, 2, 2, 2.0, 35, 7200),
    (4, '30Dor_CHAI-HFA_raster', '30 Doradus [CI] 2-1 raster', 4, 1, 2, 1, 5, 2.0, 30, 3600),
    (5, 'Carina_PrimeCam850_pong', 'Carina Nebula continuum map at 850 GHz', 5, 1, 1, 2, 3, 3.0, 40, 3600),
    (6, 'Jupiter_PrimeCam280_raster', 'Jupiter flux calibration at 280 GHz', 6, 3, 4, 1, 1, 0.5, 20, 600),
    (7, 'CES45_PrimeCam280_ces', 'Skydip / constant-elevation scan at 45 degrees', 7, 3, 5, 4, 1, 0.5, NULL, 900)
ON CONFLICT DO NOTHING;

INSERT INTO site (id, name, short_name, site_type, description) OVERRIDING SYSTEM VALUE VALUES
    (1, 'CCAT observatory', 'observatory', 'secondary', 'FYST site on Cerro Chajnantor, Chile'),
    (2, 'Cologne', 'cologne', 'main', 'Main database and long-term archive, University of Cologne')
ON CONFLICT DO NOTHING;

INSERT INTO data_location (id, site_id, name, location_type, storage_type, path, base_url, priority)
OVERRIDING SYSTEM VALUE VALUES
    (1, 1, 'ccat-instrument-source', 'source', 'disk', '/data/instruments', NULL, 0),
    (2, 1, 'ccat-buffer', 'buffer', 'disk', '/data/buffer', NULL, 0),
    (3, 2, 'cologne-buffer', 'buffer', 'disk', '/data/ccat/buffer', NULL, 0),
    (4, 2, 'cologne-archive', 'long_term_archive', 's3', NULL, 's3://ccat-raw-archive', 0),
    (5, 2, 'cologne-processing', 'processing', 'disk', '/data/ccat/processing', NULL, 1)
ON CONFLICT DO NOTHING;

SELECT setval(pg_get_serial_sequence('observatory', 'id'), max(id)) FROM observatory;
SELECT setval(pg_get_serial_sequence('telescope', 'id'), max(id)) FROM telescope;
SELECT setval(pg_get_serial_sequence('instrument', 'id'), max(id)) FROM instrument;
SELECT setval(pg_get_serial_sequence('instrument_module', 'id'), max(id)) FROM instrument_module;
SELECT setval(pg_get_serial_sequence('observing_program', 'id'), max(id)) FROM observing_program;
SELECT setval(pg_get_serial_sequence('sub_observing_program', 'id'), max(id)) FROM sub_observing_program;
SELECT setval(pg_get_serial_sequence('obs_mode', 'id'), max(id)) FROM obs_mode;
SELECT setval(pg_get_serial_sequence('source', 'id'), max(id)) FROM source;
SELECT setval(pg_get_serial_sequence('source_alias', 'id'), max(id)) FROM source_alias;
SELECT setval(pg_get_serial_sequence('obs_unit', 'id'), max(id)) FROM obs_unit;
SELECT setval(pg_get_serial_sequence('site', 'id'), max(id)) FROM site;
SELECT setval(pg_get_serial_sequence('data_location', 'id'), max(id)) FROM data_location;

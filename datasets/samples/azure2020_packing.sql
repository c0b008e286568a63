-- A tiny hand-written sample in the layout of the Azure 2020 packing
-- trace (packing_trace_zone_a_v1.sqlite): no real rows. Build it with
--   sqlite3 azure2020_packing.sqlite < azure2020_packing.sql
-- (the tests build it the same way through rusqlite).
CREATE TABLE vmType (id INTEGER PRIMARY KEY, vmTypeId INTEGER, machineId INTEGER,
                     core REAL, memory REAL, hdd REAL, ssd REAL, nic REAL);
CREATE TABLE vm (vmId INTEGER, tenantId INTEGER, vmTypeId INTEGER, priority INTEGER,
                 starttime REAL, endtime REAL);
-- type 0: 1/16 of a core count, 1/32 of the memory on machine 1; 1/8, 1/16 on machine 2
INSERT INTO vmType VALUES (0, 0, 1, 0.0625, 0.03125, 0.01, 0.0, 0.01);
INSERT INTO vmType VALUES (1, 0, 2, 0.125, 0.0625, 0.01, 0.0, 0.01);
INSERT INTO vmType VALUES (2, 1, 1, 0.5, 0.25, 0.1, 0.0, 0.1);
INSERT INTO vmType VALUES (3, 1, 2, 1.0, 0.5, 0.1, 0.0, 0.1);
INSERT INTO vmType VALUES (4, 2, 1, 0.01, 0.001, 0.0, 0.0, 0.0);
-- starts in days (negative: alive before the window), NULL end: still alive
INSERT INTO vm VALUES (100, 7, 0, 0, 0.0, 0.5);
INSERT INTO vm VALUES (101, 7, 1, 1, -0.25, NULL);
INSERT INTO vm VALUES (102, 8, 2, 1, 0.1, 0.10001);
INSERT INTO vm VALUES (103, 8, 0, 0, -2.0, -1.0);
INSERT INTO vm VALUES (104, 9, 1, 0, 0.5, 1.25);

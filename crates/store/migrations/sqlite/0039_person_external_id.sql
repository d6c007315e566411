-- Bulk import (docs/adr/0030). The identifier a person has in the system a
-- list came from (a CBSA referral list, a spreadsheet): re-importing the same
-- file matches on it and creates nobody twice. NULL for people entered by
-- hand; unique where set.
ALTER TABLE persons ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX persons_external_id ON persons (external_id) WHERE external_id IS NOT NULL;

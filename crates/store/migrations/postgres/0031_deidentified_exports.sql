-- De-identified exports (see docs/adr/0019-de-identified-export.md) share the
-- exports table, its job, progress, downloads and expiry with the case list
-- exports; `kind` tells them apart and `spec_json` holds what the analyst
-- chose (unit, dimensions, referral period). Keep in step with
-- ../sqlite/0031_deidentified_exports.sql.
ALTER TABLE exports ADD COLUMN kind TEXT NOT NULL DEFAULT 'cases';
ALTER TABLE exports ADD COLUMN spec_json TEXT;

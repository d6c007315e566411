-- Retention with real deletion (docs/adr/0026). Each programme may keep a
-- person's records for a number of whole years after their cases ended
-- (closed or withdrawn); NULL keeps them. `homeward retention run`, the
-- admin page and (when enabled) the job worker delete who is due: every row
-- about the person and their cases, and their attachment files.
ALTER TABLE programmes ADD COLUMN retention_years_after_closure BIGINT;

-- What remains of the deleted: counts by programme and month the cases
-- ended, never a name, an id or a case number. Persons count under the month
-- of their last case.
CREATE TABLE retention_purges (
    programme_code TEXT NOT NULL,
    closure_month TEXT NOT NULL,
    persons BIGINT NOT NULL,
    cases BIGINT NOT NULL,
    PRIMARY KEY (programme_code, closure_month)
);

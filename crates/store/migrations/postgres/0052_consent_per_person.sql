-- Consent per person (issue 22): each adult traveller gives or refuses
-- consent for themselves, a parent or guardian for a child. Consents
-- recorded before were the principal's, given for the case.
ALTER TABLE consents ADD COLUMN person_id UUID REFERENCES persons (id);
ALTER TABLE consents ADD COLUMN given_by_person_id UUID REFERENCES persons (id);
UPDATE consents SET person_id = (SELECT c.principal_person_id FROM cases c WHERE c.id = consents.case_id);
CREATE INDEX consents_person ON consents (case_id, person_id, purpose);

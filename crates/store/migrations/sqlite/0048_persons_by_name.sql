-- The persons list (`persons::search`, `GET /api/v1/persons`) pages by
-- (display_name, id): with both in one index a page is read in order, not
-- every person in scope sorted first. Replaces the index on the name alone.
CREATE INDEX persons_display_name_id ON persons (display_name, id);
DROP INDEX persons_display_name;

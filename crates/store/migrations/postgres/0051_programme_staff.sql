-- Staff belong to programmes (issue 21): the record scope of every role
-- but admin and auditor includes the programme. Staff already here worked
-- across every programme that exists, so they keep them.
CREATE TABLE user_programmes (
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    programme_id UUID NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, programme_id)
);
CREATE INDEX user_programmes_programme ON user_programmes (programme_id);
INSERT INTO user_programmes (user_id, programme_id)
SELECT u.id, g.id FROM users u CROSS JOIN programmes g;

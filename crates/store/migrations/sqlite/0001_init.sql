-- Homeward schema, version 1 (SQLite). Keep in step with ../postgres/0001_init.sql.
CREATE TABLE programmes (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    host_region TEXT NOT NULL,
    case_prefix TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE,
    currency TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    team TEXT,
    country TEXT,
    language TEXT NOT NULL DEFAULT 'en',
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_team ON users (team);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE persons (
    id UUID PRIMARY KEY,
    given_names TEXT,
    family_name TEXT,
    original_script_name TEXT,
    display_name TEXT NOT NULL,
    search_text TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    sex TEXT NOT NULL,
    date_of_birth DATE,
    date_of_birth_approximate BOOLEAN NOT NULL DEFAULT FALSE,
    nationalities TEXT NOT NULL DEFAULT '[]',
    preferred_languages TEXT NOT NULL DEFAULT '[]',
    interpreter_needed BOOLEAN NOT NULL DEFAULT FALSE,
    phone TEXT,
    email TEXT,
    address TEXT,
    uci TEXT,
    cbsa_client_id TEXT,
    passport_number TEXT,
    created_by UUID REFERENCES users (id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX persons_display_name ON persons (display_name);
CREATE INDEX persons_created_by ON persons (created_by);

CREATE TABLE case_counters (
    programme_id UUID NOT NULL REFERENCES programmes (id),
    year INTEGER NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (programme_id, year)
);

CREATE TABLE cases (
    id UUID PRIMARY KEY,
    case_number TEXT NOT NULL UNIQUE,
    programme_id UUID NOT NULL REFERENCES programmes (id),
    principal_person_id UUID NOT NULL REFERENCES persons (id),
    country_of_return TEXT,
    destination_locality TEXT,
    counsellor_id UUID REFERENCES users (id),
    status TEXT NOT NULL,
    created_by UUID REFERENCES users (id),
    referred_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_updated ON cases (updated_at);
CREATE INDEX cases_status_updated ON cases (status, updated_at);
CREATE INDEX cases_counsellor_updated ON cases (counsellor_id, updated_at);
CREATE INDEX cases_created_by ON cases (created_by);
CREATE INDEX cases_country_updated ON cases (country_of_return, updated_at);
CREATE INDEX cases_principal ON cases (principal_person_id);

CREATE TABLE case_members (
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    person_id UUID NOT NULL REFERENCES persons (id),
    relationship TEXT NOT NULL,
    PRIMARY KEY (case_id, person_id)
);
CREATE INDEX case_members_person ON case_members (person_id);

CREATE TABLE case_transitions (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT,
    actor_id UUID REFERENCES users (id),
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_transitions_case ON case_transitions (case_id, at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID,
    actor_email TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    case_id UUID,
    before_json TEXT,
    after_json TEXT,
    request_id TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

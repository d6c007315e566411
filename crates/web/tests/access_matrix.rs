//! The access matrix (issue 7): every route in the route table, tried by
//! every role (and by nobody), must answer as `docs/access-matrix.md` says.
//! The routes are read from the router's source, so a new route without a
//! row in the document fails this test; a change of who may do what fails
//! it too, until the document (reviewed like code) says so.
//!
//! Each route is called with an empty form or `{}` body: enough to pass or
//! fail the role and scope checks without changing anything. Set
//! `HOMEWARD_WRITE_ACCESS_MATRIX=1` to rewrite the document from what the
//! server answers (then read the diff before committing it).

mod support;

use homeward_store::{attachments, both_databases, consents, on_db, testing, Store};
use reqwest::{Client, Method, StatusCode};
use std::collections::BTreeMap;
use support::{sign_in_csrf, start, App};

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/access-matrix.md");

/// Who calls: a column of the matrix.
struct Caller {
    column: &'static str,
    role: Option<&'static str>,
    country: Option<&'static str>,
    /// The one programme the caller works in, when not the pilot.
    programme: Option<&'static str>,
}

/// The second programme: staff of it alone see none of the pilot's cases.
const OTHER: &str = "be-2026";

const CALLERS: [Caller; 13] = [
    Caller {
        column: "anonymous",
        role: None,
        country: None,
        programme: None,
    },
    Caller {
        column: "counsellor",
        role: Some("counsellor"),
        country: None,
        programme: None,
    },
    Caller {
        column: "counsellor, not theirs",
        role: Some("counsellor"),
        country: None,
        programme: None,
    },
    Caller {
        column: "supervisor",
        role: Some("supervisor"),
        country: None,
        programme: None,
    },
    Caller {
        column: "cbsa_officer",
        role: Some("cbsa_officer"),
        country: None,
        programme: None,
    },
    Caller {
        column: "mission_officer HU",
        role: Some("mission_officer"),
        country: Some("HU"),
        programme: None,
    },
    Caller {
        column: "mission_officer MX",
        role: Some("mission_officer"),
        country: Some("MX"),
        programme: None,
    },
    Caller {
        column: "finance",
        role: Some("finance"),
        country: None,
        programme: None,
    },
    Caller {
        column: "analyst",
        role: Some("analyst"),
        country: None,
        programme: None,
    },
    Caller {
        column: "admin",
        role: Some("admin"),
        country: None,
        programme: None,
    },
    Caller {
        column: "auditor",
        role: Some("auditor"),
        country: None,
        programme: None,
    },
    Caller {
        column: "supervisor, other programme",
        role: Some("supervisor"),
        country: None,
        programme: Some(OTHER),
    },
    Caller {
        column: "finance, other programme",
        role: Some("finance"),
        country: None,
        programme: Some(OTHER),
    },
];

/// The routes declared in a router's source: (method, path).
fn routes_in(source: &str, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + ".route(".len()..];
        let Some(q) = rest.find('"') else { break };
        let after = &rest[q + 1..];
        let Some(end) = after.find('"') else { break };
        let path = &after[..end];
        // The call's text, to its closing parenthesis.
        let mut depth = 1;
        let mut close = 0;
        for (j, ch) in rest.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let call = &rest[..close];
        for m in ["get", "post", "put", "patch", "delete"] {
            let hit = call.match_indices(&format!("{m}(")).any(|(k, _)| {
                k == 0 || !call[..k].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            });
            if hit {
                out.push((m.to_ascii_uppercase(), format!("{prefix}{path}")));
            }
        }
    }
    out
}

/// Every route of the application.
fn route_table() -> Vec<(String, String)> {
    let mut all = Vec::new();
    all.extend(routes_in(include_str!("../src/pages/mod.rs"), ""));
    all.extend(routes_in(include_str!("../src/api/mod.rs"), "/api/v1"));
    all.extend(routes_in(include_str!("../src/observability.rs"), ""));
    all.extend(routes_in(include_str!("../src/assets.rs"), ""));
    all.sort();
    all.dedup();
    all
}

/// The ids a route's placeholders take: real records where the dataset has
/// them, otherwise an id that matches nothing (the answer is then 404 for
/// whoever may look, 403 for whoever may not).
struct Ids {
    case: String,
    person: String,
    user: String,
    attachment: String,
    consent: String,
    nothing: String,
}

fn concrete(path: &str, ids: &Ids) -> String {
    let segs: Vec<&str> = path.split('/').collect();
    let mut out = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        let prev = if i > 0 { segs[i - 1] } else { "" };
        let v = match *s {
            "{id}" => match prev {
                "cases" => ids.case.clone(),
                "persons" => ids.person.clone(),
                "users" => ids.user.clone(),
                _ => ids.nothing.clone(),
            },
            "{aid}" => ids.attachment.clone(),
            "{cid}" => ids.consent.clone(),
            "{code}" => "gta-2012".into(),
            // The subject-access export's file; elsewhere a static asset.
            "{file}" if path.starts_with("/admin/persons/") => "export.json".into(),
            "{file}" => "app.css".into(),
            s if s.starts_with('{') => ids.nothing.clone(),
            s => s.to_string(),
        };
        out.push(v);
    }
    out.join("/")
}

/// What an answer means for the matrix.
fn outcome(status: StatusCode, location: Option<&str>, is_api: bool) -> String {
    match status.as_u16() {
        401 if is_api => "login".into(),
        // A page answers 401 to a wrong (here: empty) password or code.
        401 => "invalid".into(),
        303 | 302 | 307 if location.is_some_and(|l| l.starts_with("/login")) => "login".into(),
        403 => "403".into(),
        404 => "404".into(),
        400 | 409 | 413 | 415 | 422 => "invalid".into(),
        200..=399 => "ok".into(),
        s => format!("unexpected {s}"),
    }
}

async fn call(app: &App, who: &Session, method: &str, path: &str) -> String {
    let is_api = path.starts_with("/api/");
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = who.client.request(m.clone(), app.url(path));
    if is_api {
        if let Some(t) = &who.token {
            req = req.bearer_auth(t);
        }
    }
    if m != Method::GET {
        if let Some(c) = &who.csrf {
            req = req.header("x-csrf-token", c);
        }
        req = if is_api {
            req.header("content-type", "application/json").body("{}")
        } else {
            req.header("content-type", "application/x-www-form-urlencoded")
                .body("")
        };
    }
    let res = req.send().await.unwrap();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    outcome(res.status(), location.as_deref(), is_api)
}

/// Whether the call asks for the password again: a redirect to `/reauth`,
/// the re-authentication form in place of the page, or the API's 403
/// `reauthentication-required`.
async fn needs_reauth(app: &App, who: &Session, method: &str, path: &str) -> bool {
    let is_api = path.starts_with("/api/");
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = who.client.request(m.clone(), app.url(path));
    if m != Method::GET {
        if let Some(c) = &who.csrf {
            req = req.header("x-csrf-token", c);
        }
        req = if is_api {
            req.header("content-type", "application/json").body("{}")
        } else {
            req.header("content-type", "application/x-www-form-urlencoded")
                .body("")
        };
    }
    let res = req.send().await.unwrap();
    if res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|l| l.starts_with("/reauth"))
    {
        return true;
    }
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    body.contains("name=\"_reauth_password\"")
        || (status == StatusCode::FORBIDDEN && body.contains("reauthentication-required"))
}

struct Session {
    client: Client,
    csrf: Option<String>,
    token: Option<String>,
}

async fn matrix(store: Store) {
    let app = start(store.clone()).await;
    // The dataset: a Hungarian family's case, eligible, taken by `counsellor`.
    let mut sessions = Vec::new();
    let mut actors = BTreeMap::new();
    for (n, c) in CALLERS.iter().enumerate() {
        let Some(role) = c.role else {
            sessions.push(Session {
                client: support::browser(),
                csrf: None,
                token: None,
            });
            continue;
        };
        let email = format!("u{n}@iom.int");
        let uid = app.user(&email, role, c.country).await;
        if let Some(code) = c.programme {
            let admin = &actors["admin"];
            if homeward_store::programmes::by_code(&store, code)
                .await
                .is_err()
            {
                let input = homeward_domain::programme::ProgrammeInput {
                    code: Some(code.into()),
                    name: Some("AVRR Belgium".into()),
                    host_country: Some("BE".into()),
                    time_zone: Some("Europe/Brussels".into()),
                    currency: Some("EUR".into()),
                    referring_authority: Some(homeward_domain::programme::AuthorityInput::Named {
                        name: Some("Fedasil".into()),
                        short_name: None,
                    }),
                    opens_on: Some("2026-01-01".into()),
                    regions: Some(vec!["Brussels".into()]),
                    ..Default::default()
                };
                homeward_store::programmes::create(&store, admin, &input, None)
                    .await
                    .unwrap();
            }
            let version = homeward_store::users::get(&store, uid)
                .await
                .unwrap()
                .version;
            homeward_store::users::set_programmes(&store, admin, uid, &[code.to_string()], version)
                .await
                .unwrap();
        }
        let token = homeward_store::tokens::create(&store, uid).await.unwrap();
        let (client, csrf) = sign_in_csrf(&app, &email).await;
        sessions.push(Session {
            client,
            csrf: Some(csrf),
            token: Some(token),
        });
        actors.insert(
            c.column,
            homeward_store::users::get(&store, uid)
                .await
                .unwrap()
                .actor(None),
        );
    }
    let cbsa = &actors["cbsa_officer"];
    let counsellor = &actors["counsellor"];
    let (case, person, _) = testing::eligible_family(&store, cbsa, counsellor).await;
    // Preparing departure, with the principal's consent to share with the
    // mission: the Hungarian mission has its part in the case (issue 22).
    homeward_store::cases::transition(&store, counsellor, case, "preparing_departure", None, None)
        .await
        .unwrap();
    let attachment = attachments::list(&store, counsellor, case).await.unwrap()[0].id;
    let consent = consents::list(&store, counsellor, case).await.unwrap()[0].id;
    let target = app.user("target@iom.int", "counsellor", None).await;
    let ids = Ids {
        case: case.to_string(),
        person: person.to_string(),
        user: target.to_string(),
        attachment: attachment.to_string(),
        consent: consent.to_string(),
        nothing: uuid::Uuid::new_v4().to_string(),
    };

    let mut routes = route_table();
    // Signing out ends the session the other calls use: last.
    routes.sort_by_key(|(m, p)| (p == "/logout", m.clone(), p.clone()));
    let mut actual: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (method, path) in &routes {
        let url = concrete(path, &ids);
        let mut row = Vec::new();
        for s in &sessions {
            row.push(call(&app, s, method, &url).await);
        }
        actual.insert((method.clone(), path.clone()), row);
    }
    for ((m, p), row) in &actual {
        assert!(
            !row.iter().any(|o| o.starts_with("unexpected")),
            "{m} {p}: {row:?}"
        );
    }

    // The re-authentication column: the same call by the first caller the
    // route lets past its role check (ok, invalid, or 404 for a record that
    // is not there), signed in again (the pass above signed out) with a
    // session whose last password entry is older than the window, and on
    // the API with that session, not the token: tokens are machine
    // credentials and exempt.
    let mut stale = Vec::new();
    for (n, c) in CALLERS.iter().enumerate() {
        stale.push(match c.role {
            None => None,
            Some(_) => {
                let (client, csrf) = sign_in_csrf(&app, &format!("u{n}@iom.int")).await;
                Some(Session {
                    client,
                    csrf: Some(csrf),
                    token: None,
                })
            }
        });
    }
    on_db!(&store.db, p => sqlx::query("UPDATE sessions SET reauthenticated_at = $1")
        .bind(chrono::Utc::now() - chrono::Duration::hours(2)).execute(p).await.map(|_| ()))
    .unwrap();
    for (method, path) in &routes {
        let row = actual.get_mut(&(method.clone(), path.clone())).unwrap();
        let allowed = row
            .iter()
            .position(|o| matches!(o.as_str(), "ok" | "invalid" | "404"))
            .and_then(|i| stale[i].as_ref());
        let answer = match allowed {
            None => "—",
            Some(who) if needs_reauth(&app, who, method, &concrete(path, &ids)).await => "yes",
            Some(_) => "no",
        };
        row.push(answer.to_string());
    }

    // Every bulk download asks for the password again (issue 26).
    for path in [
        "/admin/persons/{id}/{file}",
        "/downloads/{id}",
        "/api/v1/exports/{id}/file",
        "/persons/import/{id}/report",
        "/api/v1/persons/import/{id}/report",
        "/reports/donor.csv",
        "/reports/donor.pdf",
        "/reports/donor.xlsx",
    ] {
        let row = &actual[&("GET".to_string(), path.to_string())];
        assert_eq!(
            row.last().map(String::as_str),
            Some("yes"),
            "GET {path}: {row:?}"
        );
    }
    let auditor = stale[10].as_ref().unwrap();
    assert!(needs_reauth(&app, auditor, "GET", "/audit?format=csv").await);
    assert!(!needs_reauth(&app, auditor, "GET", "/audit").await);

    let written = render(&actual);
    if std::env::var_os("HOMEWARD_WRITE_ACCESS_MATRIX").is_some() {
        std::fs::write(DOC, &written).unwrap();
        return;
    }
    let doc = std::fs::read_to_string(DOC).expect("docs/access-matrix.md");
    let expected = parse(&doc);
    let mut wrong = Vec::new();
    for (key, row) in &actual {
        match expected.get(key) {
            None => wrong.push(format!("{} {}: not in docs/access-matrix.md", key.0, key.1)),
            Some(want) if want != row => wrong.push(format!(
                "{} {}: documented {want:?}, answered {row:?}",
                key.0, key.1
            )),
            _ => {}
        }
    }
    for key in expected.keys() {
        if !actual.contains_key(key) {
            wrong.push(format!("{} {}: documented but not a route", key.0, key.1));
        }
    }
    assert!(
        wrong.is_empty(),
        "the access matrix differs:\n{}",
        wrong.join("\n")
    );

    // The cases the issue names, spelled out.
    // (The pages' answer is in the matrix: the pass above signed out.)
    let other = &sessions[11];
    assert_eq!(
        call(&app, other, "GET", &format!("/api/v1/cases/{case}")).await,
        "404"
    );
    let mx = &sessions[6];
    let hu_case = format!("/api/v1/cases/{case}");
    assert_eq!(call(&app, mx, "GET", &hu_case).await, "404");
    let cbsa_session = &sessions[4];
    let notes = format!("/api/v1/cases/{case}/counselling");
    assert_eq!(call(&app, cbsa_session, "GET", &notes).await, "403");
}

const LEGEND: &str = "# Access matrix

Who may use each page and endpoint, as the server answers it. Generated from the route table and
checked by `crates/web/tests/access_matrix.rs` on SQLite and PostgreSQL: a new route without a row
here, or a change in who may do what, fails that test. Rewrite with
`HOMEWARD_WRITE_ACCESS_MATRIX=1 cargo test -p homeward-web --test access_matrix` and review the diff.

The dataset: one Hungarian family's case, preparing departure, taken by *counsellor*, whose
principal consented to collect health data and to share with the mission (not with CBSA);
*counsellor, not theirs* is another counsellor; *mission_officer HU* is the mission of the case's
country of return, which has its part in the case from departure preparation on and only with that
consent (issue 22: before then, or after a withdrawal, it answers 404 like any case out of scope,
as `crates/store/tests/consent_per_person.rs` and `crates/web/tests/mission_role.rs` test),
*mission_officer MX* another mission; `/my` is the returnee's own page: open to anyone, it shows a case only
with a personal code and date of birth, in a session of its own (`crates/web/tests/returnee_page.rs`); *supervisor, other programme* and *finance, other
programme* work in a second programme (be-2026) only, and so see none of the pilot's cases, counts
or money (issue 21, docs/adr/0047). Pages are called with a signed-in session and its
CSRF token, `/api/v1` with the same user's API token, each with an empty form or `{}` body and
placeholder ids that are real where the dataset has them (case, person, user, attachment,
consent) and match nothing elsewhere.

- `ok`: allowed (2xx or 3xx).
- `invalid`: allowed past the role and scope checks, refused for the empty input (400, 409, 415,
  422; 401 from a page that checks a password or code). Handlers check the role and the case's
  scope before they read a body (`cases::may_act`), so a refused caller never sees `invalid`.
- `403`: the role may not.
- `404`: not found, or out of the caller's record scope (indistinguishable on purpose).
- `login`: not signed in (sign-in page, or 401 for the API).

The last column, *re-auth*, says whether the route asks for the password (and two-factor code)
again when the session's last sign-in or re-authentication is older than 10 minutes
(docs/adr/0027): the same call by the first role it lets past its role check, with a stale
session (on the API too: API tokens are exempt). `—`: no role may use it. Every bulk download
(exports, reports, the audit trail, import reports, subject access) says `yes`; a single case
document (an attachment, letter or receipt) is read as part of the case, like the case page.

";

fn render(actual: &BTreeMap<(String, String), Vec<String>>) -> String {
    let mut s = String::from(LEGEND);
    s.push_str("| Method | Path |");
    for c in &CALLERS {
        s.push_str(&format!(" {} |", c.column));
    }
    s.push_str(" re-auth |\n|---|---|");
    for _ in 0..=CALLERS.len() {
        s.push_str("---|");
    }
    s.push('\n');
    for ((m, p), row) in actual {
        s.push_str(&format!("| {m} | `{p}` |"));
        for o in row {
            s.push_str(&format!(" {o} |"));
        }
        s.push('\n');
    }
    s
}

fn parse(doc: &str) -> BTreeMap<(String, String), Vec<String>> {
    let mut out = BTreeMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if cells.len() != CALLERS.len() + 3
            || !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&cells[0])
        {
            continue;
        }
        out.insert(
            (cells[0].to_string(), cells[1].trim_matches('`').to_string()),
            cells[2..].iter().map(|c| c.to_string()).collect(),
        );
    }
    out
}

#[test]
fn the_route_table_is_read_from_the_routers() {
    let routes = route_table();
    for want in [
        ("GET", "/cases/{id}"),
        ("POST", "/cases/{id}/transition"),
        ("PATCH", "/api/v1/cases/{id}"),
        ("PUT", "/api/v1/persons/{id}"),
        ("POST", "/api/v1/purchases/{id}/payment"),
        ("GET", "/healthz"),
    ] {
        assert!(
            routes.iter().any(|(m, p)| m == want.0 && p == want.1),
            "{want:?} missing from {routes:?}"
        );
    }
    assert!(routes.len() > 100, "{}", routes.len());
}

both_databases!(access_matrix_test, matrix);

//! A bounded load test of a running Homeward server, on loopback only.
//!
//! Signs in (session cookie for the HTML pages; a bearer token or the same
//! session for the API), samples case ids through the API, then runs
//! `--concurrency` workers per scenario, each a separate user with its own
//! connection, until `--duration-secs` or `--max-requests` is reached.
//! Prints requests, errors (non-2xx), rps and p50/p90/p99/max latency per
//! scenario, and the server's peak RSS when given `--server-pid`.

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use homeward_bench::{is_loopback_host, ms, proc_status_kb, Stats, COUNTRIES, STATUSES};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HARD_MAX_SECS: u64 = 120;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// HTML case list `/cases`: filtered, paged, in the default order.
    List,
    /// HTML case list sorted by another column (case number, name, status, referral date).
    ListSort,
    /// HTML case page `/cases/{id}` (records a read in the audit trail).
    Case,
    /// JSON case list `/api/v1/cases`.
    ApiList,
    /// JSON case `/api/v1/cases/{id}` (records a read).
    ApiCase,
    /// JSON `/api/v1/cases/{id}/transitions` (the timeline): the same reads as api-case without
    /// the audit write (a diagnostic, not part of `all`).
    ApiTimeline,
    /// HTML case list with a free-text search `q` (not part of `all`).
    Search,
    /// list, list-sort, case, api-list, api-case in turn.
    All,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::List => "list",
            Scenario::ListSort => "list-sort",
            Scenario::Case => "case",
            Scenario::ApiList => "api-list",
            Scenario::ApiCase => "api-case",
            Scenario::ApiTimeline => "api-timeline",
            Scenario::Search => "search",
            Scenario::All => "all",
        }
    }
}

#[derive(Parser)]
#[command(
    name = "bench-load",
    about = "Bounded loopback load test of a Homeward server"
)]
struct Args {
    /// e.g. http://127.0.0.1:8080 — loopback addresses only.
    #[arg(long)]
    base_url: String,
    /// API bearer token (`homeward token create`). Without it the API is called with the session cookie.
    #[arg(long)]
    token: Option<String>,
    #[arg(long, default_value = "supervisor@homeward.test")]
    email: String,
    #[arg(long, default_value = "homeward-demo-2012")]
    password: String,
    /// Concurrent users.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Measured seconds per scenario (at most 120).
    #[arg(long, default_value_t = 20)]
    duration_secs: u64,
    /// Requests per scenario at most.
    #[arg(long, default_value_t = 20_000)]
    max_requests: u64,
    /// Unmeasured warm-up seconds per scenario (at most 10).
    #[arg(long, default_value_t = 2)]
    warmup_secs: u64,
    #[arg(long, value_enum, default_value_t = Scenario::All)]
    scenario: Scenario,
    /// The server's process id, to report its peak RSS (VmHWM).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Case ids to sample through the API (pages of 200 spread over the list).
    #[arg(long, default_value_t = 2000)]
    sample: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Appended to the scenario names in the output, e.g. `-counsellor`.
    #[arg(long, default_value = "")]
    name_suffix: String,
}

/// How one worker authenticates.
#[derive(Clone)]
struct Creds {
    cookie: String,
    api_auth: (reqwest::header::HeaderName, String),
}

fn check_base(base: &str) -> Result<String> {
    let rest = base
        .strip_prefix("http://")
        .context("--base-url must start with http:// (loopback only)")?;
    let authority = rest.split('/').next().unwrap_or("");
    let host = if authority.starts_with('[') {
        authority
            .split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        authority
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(authority)
            .to_string()
    };
    if authority.contains('@') || !is_loopback_host(&host) {
        bail!("refusing non-loopback base URL {base:?}: this load test only targets 127.0.0.1/::1/localhost");
    }
    Ok(format!("http://{authority}"))
}

fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().to_string())
}

/// Signs in through the login form; returns the `hw_session` cookie value.
async fn login(base: &str, email: &str, password: &str) -> Result<String> {
    let c = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let r = c.get(format!("{base}/login")).send().await?;
    let csrf_cookie = set_cookie(&r, "hw_login_csrf").context("no hw_login_csrf cookie")?;
    let body = r.text().await?;
    let marker = "name=\"_login_csrf\" value=\"";
    let i = body
        .find(marker)
        .context("no _login_csrf input on /login")?
        + marker.len();
    let csrf_input = body[i..].split('"').next().unwrap_or("").to_string();
    let r = c
        .post(format!("{base}/login"))
        .header(
            reqwest::header::COOKIE,
            format!("hw_login_csrf={csrf_cookie}"),
        )
        .form(&[
            ("_login_csrf", csrf_input.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/"),
        ])
        .send()
        .await?;
    let status = r.status();
    set_cookie(&r, "hw_session")
        .with_context(|| format!("sign-in as {email} failed (HTTP {status})"))
}

/// A random filtered, paged list query (HTML or API parameters): in the
/// default order (last updated first), or sorted by another column.
fn list_query(rng: &mut StdRng, api: bool, other_sort: bool) -> String {
    let mut p: Vec<String> = Vec::new();
    let f = rng.gen_range(0..4);
    if f == 1 || f == 3 {
        p.push(format!(
            "status={}",
            STATUSES[rng.gen_range(0..STATUSES.len())]
        ));
    }
    if f == 2 || f == 3 {
        p.push(format!(
            "country={}",
            COUNTRIES[rng.gen_range(0..COUNTRIES.len())]
        ));
    }
    let (sort, desc) = if !other_sort {
        ("updated_at", true)
    } else {
        let s = ["case_number", "name", "status", "referred_at"][rng.gen_range(0..4)];
        (s, rng.gen_bool(0.5))
    };
    p.push(format!("sort={sort}"));
    if api {
        p.push(format!("desc={desc}"));
        p.push("per_page=25".into());
    } else {
        p.push(format!("dir={}", if desc { "desc" } else { "asc" }));
    }
    let x = rng.gen_range(0..100);
    let page = if x < 50 {
        1
    } else if x < 80 {
        rng.gen_range(2..=10)
    } else {
        rng.gen_range(11..=100)
    };
    p.push(format!("page={page}"));
    p.join("&")
}

const SEARCH_NAMES: [&str; 10] = [
    "horvath",
    "lakatos",
    "martinez",
    "hernandez",
    "petrov",
    "wang",
    "kovacevic",
    "novak",
    "okonkwo",
    "juan carlos",
];

struct Sample {
    ids: Vec<String>,
    numbers: Vec<String>,
}

async fn sample_cases(
    client: &reqwest::Client,
    base: &str,
    creds: &Creds,
    n: usize,
) -> Result<Sample> {
    let get = |page: u64| {
        let url = format!("{base}/api/v1/cases?per_page=200&page={page}&sort=case_number");
        let (h, v) = creds.api_auth.clone();
        async move {
            let r = client.get(url).header(h, v).send().await?;
            if !r.status().is_success() {
                bail!("sampling case ids: HTTP {}", r.status());
            }
            Ok::<serde_json::Value, anyhow::Error>(r.json().await?)
        }
    };
    let first = get(1).await?;
    let total = first["total"].as_u64().unwrap_or(0);
    if total == 0 {
        bail!("the server shows no cases to this user");
    }
    let pages = total.div_ceil(200);
    let want = (n as u64).div_ceil(200).clamp(1, pages);
    let mut s = Sample {
        ids: Vec::new(),
        numbers: Vec::new(),
    };
    for i in 0..want {
        let page = 1 + i * pages / want;
        let v = if page == 1 {
            first.clone()
        } else {
            get(page).await?
        };
        for it in v["items"].as_array().into_iter().flatten() {
            if let (Some(id), Some(no)) = (it["id"].as_str(), it["case_number"].as_str()) {
                s.ids.push(id.to_string());
                s.numbers.push(no.to_string());
            }
        }
    }
    eprintln!("sampled {} of {total} case ids", s.ids.len());
    Ok(s)
}

struct Outcome {
    lat: Vec<u64>,
    errors: u64,
    codes: BTreeMap<u16, u64>,
    first_error: Option<String>,
}

/// Runs one scenario with `concurrency` workers until the deadline or the request cap.
#[allow(clippy::too_many_arguments)]
async fn run(
    a: &Args,
    base: &str,
    sc: Scenario,
    creds: &[Creds],
    sample: &Arc<Sample>,
    secs: u64,
    max: u64,
    seed: u64,
) -> Result<(Outcome, Duration)> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let issued = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut handles = Vec::new();
    for w in 0..a.concurrency {
        let cr = creds[w % creds.len()].clone();
        let base = base.to_string();
        let sample = sample.clone();
        let issued = issued.clone();
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(30))
            .build()?;
        handles.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(1000) + w as u64);
            let mut out = Outcome {
                lat: Vec::new(),
                errors: 0,
                codes: BTreeMap::new(),
                first_error: None,
            };
            while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < max {
                let (path, api) = match sc {
                    Scenario::List => (
                        format!("/cases?{}", list_query(&mut rng, false, false)),
                        false,
                    ),
                    Scenario::ListSort => (
                        format!("/cases?{}", list_query(&mut rng, false, true)),
                        false,
                    ),
                    Scenario::ApiList => (
                        format!("/api/v1/cases?{}", list_query(&mut rng, true, false)),
                        true,
                    ),
                    Scenario::Case => (
                        format!("/cases/{}", sample.ids[rng.gen_range(0..sample.ids.len())]),
                        false,
                    ),
                    Scenario::ApiTimeline => (
                        format!(
                            "/api/v1/cases/{}/transitions",
                            sample.ids[rng.gen_range(0..sample.ids.len())]
                        ),
                        true,
                    ),
                    Scenario::ApiCase => (
                        format!(
                            "/api/v1/cases/{}",
                            sample.ids[rng.gen_range(0..sample.ids.len())]
                        ),
                        true,
                    ),
                    Scenario::Search => {
                        let q = if rng.gen_bool(0.5) {
                            SEARCH_NAMES[rng.gen_range(0..SEARCH_NAMES.len())].replace(' ', "+")
                        } else {
                            sample.numbers[rng.gen_range(0..sample.numbers.len())].clone()
                        };
                        (format!("/cases?q={q}&page={}", rng.gen_range(1..=3)), false)
                    }
                    Scenario::All => unreachable!(),
                };
                let mut req = client.get(format!("{base}{path}"));
                req = if api {
                    req.header(cr.api_auth.0.clone(), cr.api_auth.1.clone())
                } else {
                    req.header(reqwest::header::COOKIE, format!("hw_session={}", cr.cookie))
                };
                let t = Instant::now();
                let res = req.send().await;
                let (code, ok, body) = match res {
                    Ok(r) => {
                        let code = r.status().as_u16();
                        match r.bytes().await {
                            Ok(b) => (code, (200..300).contains(&code), Some(b)),
                            Err(e) => (0, false, Some(e.to_string().into_bytes().into())),
                        }
                    }
                    Err(e) => (0, false, Some(e.to_string().into_bytes().into())),
                };
                out.lat.push(t.elapsed().as_micros() as u64);
                *out.codes.entry(code).or_default() += 1;
                if !ok {
                    out.errors += 1;
                    if out.first_error.is_none() {
                        let b = body
                            .map(|b| String::from_utf8_lossy(&b[..b.len().min(300)]).into_owned());
                        out.first_error =
                            Some(format!("{path} -> {code}: {}", b.unwrap_or_default()));
                    }
                }
            }
            out
        }));
    }
    let mut all = Outcome {
        lat: Vec::new(),
        errors: 0,
        codes: BTreeMap::new(),
        first_error: None,
    };
    for h in handles {
        let o = h.await?;
        all.lat.extend(o.lat);
        all.errors += o.errors;
        for (k, v) in o.codes {
            *all.codes.entry(k).or_default() += v;
        }
        all.first_error = all.first_error.or(o.first_error);
    }
    Ok((all, start.elapsed()))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let a = Args::parse();
    let base = check_base(&a.base_url)?;
    if a.duration_secs == 0 || a.duration_secs > HARD_MAX_SECS {
        bail!("--duration-secs must be 1..={HARD_MAX_SECS}");
    }
    if a.concurrency == 0 || a.concurrency > 256 {
        bail!("--concurrency must be 1..=256");
    }
    let warmup = a.warmup_secs.min(10);
    let scenarios: Vec<Scenario> = match a.scenario {
        Scenario::All => vec![
            Scenario::List,
            Scenario::ListSort,
            Scenario::Case,
            Scenario::ApiList,
            Scenario::ApiCase,
        ],
        s => vec![s],
    };
    // One session per simulated user, as in real use.
    let mut creds = Vec::new();
    for _ in 0..a.concurrency {
        let cookie = login(&base, &a.email, &a.password).await?;
        let api_auth = match &a.token {
            Some(t) => (reqwest::header::AUTHORIZATION, format!("Bearer {t}")),
            None => (reqwest::header::COOKIE, format!("hw_session={cookie}")),
        };
        creds.push(Creds { cookie, api_auth });
    }
    let client = reqwest::Client::builder().no_proxy().build()?;
    let sample = Arc::new(sample_cases(&client, &base, &creds[0], a.sample).await?);
    println!(
        "# {base}: {} users, {} s per scenario (+{warmup} s warm-up), at most {} requests",
        a.concurrency, a.duration_secs, a.max_requests
    );
    println!("| scenario | requests | errors | rps | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut machine = Vec::new();
    for (i, sc) in scenarios.iter().enumerate() {
        if warmup > 0 {
            run(
                &a,
                &base,
                *sc,
                &creds,
                &sample,
                warmup,
                a.max_requests,
                a.seed + 100 + i as u64,
            )
            .await?;
        }
        let (mut o, elapsed) = run(
            &a,
            &base,
            *sc,
            &creds,
            &sample,
            a.duration_secs,
            a.max_requests,
            a.seed + i as u64,
        )
        .await?;
        let s = Stats::from_latencies(&mut o.lat, o.errors, elapsed);
        let name = format!("{}{}", sc.name(), a.name_suffix);
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} |",
            name,
            s.requests,
            s.errors,
            s.rps(),
            ms(s.p50),
            ms(s.p90),
            ms(s.p99),
            ms(s.max)
        );
        if o.errors > 0 {
            eprintln!(
                "{}: status codes {:?}; first error: {}",
                name,
                o.codes,
                o.first_error.unwrap_or_default()
            );
        }
        machine.push(format!(
            "RESULT scenario={} requests={} errors={} rps={:.0} p50={} p90={} p99={} max={}",
            name,
            s.requests,
            s.errors,
            s.rps(),
            ms(s.p50),
            ms(s.p90),
            ms(s.p99),
            ms(s.max)
        ));
    }
    if let Some(pid) = a.server_pid {
        let hwm = proc_status_kb(pid, "VmHWM").context("cannot read the server's /proc status")?;
        let rss = proc_status_kb(pid, "VmRSS").unwrap_or(0);
        println!(
            "\nserver peak RSS (VmHWM): {:.1} MiB; RSS now {:.1} MiB",
            hwm as f64 / 1024.0,
            rss as f64 / 1024.0
        );
        machine.push(format!("PEAK_RSS_KB={hwm}"));
    }
    for m in machine {
        println!("{m}");
    }
    Ok(())
}

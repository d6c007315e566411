//! What the case page shows of a case's referral, counselling, consents,
//! attachments, documents and health, for the actor: read, not changed.

use crate::api::eligibility::say;
use crate::auth::Ctx;
use crate::form::FormState;
use crate::i18n::Tr;
use crate::AppState;
use homeward_domain::eligibility::Message;
use homeward_domain::{Action, Resource};
use homeward_store::attachments::{self, Attachment};
use homeward_store::consents::{self, Consent};
use homeward_store::counselling::{self, Session};
use homeward_store::readiness::{self, Document, FitnessCheck, Vulnerability};
use homeward_store::referrals::{self, Referral};
use homeward_store::{Actor, Error};

/// The stored evaluation, explained.
pub struct EvaluationView {
    pub eligible: bool,
    pub determined: bool,
    pub rule_set: String,
    pub amount: String,
    pub evaluated_at: chrono::DateTime<chrono::Utc>,
    /// (rule name, outcome label, explanation)
    pub rules: Vec<(String, String, String)>,
}

/// What the before-departure sections show; `None` where the user has no need to know.
#[derive(Default)]
pub struct CaseExtras {
    pub referral: Option<Referral>,
    pub referral_rows: Vec<(String, String)>,
    pub can_edit_referral: bool,
    pub evaluation: Option<EvaluationView>,
    pub sessions: Option<Vec<Session>>,
    /// The meetings to come (for those who read the counselling section).
    pub appointments: Vec<homeward_store::appointments::Appointment>,
    pub can_add_session: bool,
    pub consents: Option<Vec<Consent>>,
    pub can_manage_consent: bool,
    pub attachments: Option<Vec<Attachment>>,
    pub can_upload: bool,
    /// The returnee's page codes given on the case (staff who give them).
    pub returnee_access: Option<Vec<homeward_store::returnee_access::Access>>,
    /// Whether the reader may write down a question or complaint.
    pub can_record_feedback: bool,
    pub topics: Vec<(String, String)>,
    pub purposes: Vec<(String, String)>,
    pub kinds: Vec<(String, String)>,
    pub documents: Option<Vec<Document>>,
    pub can_add_document: bool,
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    pub fitness: Option<Vec<FitnessCheck>>,
    pub can_add_health: bool,
    /// (person id, name) of the travellers.
    pub travellers: Vec<(String, String)>,
    pub document_kinds: Vec<(String, String)>,
    pub vulnerability_kinds: Vec<(String, String)>,
    pub fitness_statuses: Vec<(String, String)>,
    pub assistance_codes: Vec<String>,
    pub travel: Option<super::travel::TravelView>,
    pub reintegration: Option<super::reintegration::ReintegrationView>,
}

/// The side forms of the case page.
#[derive(Default)]
pub struct SideForms {
    pub counselling: FormState,
    pub appointment: FormState,
    pub consent: FormState,
    pub returnee: FormState,
    pub upload: FormState,
    pub document: FormState,
    pub vulnerability: FormState,
    pub fitness: FormState,
    pub itinerary: FormState,
    pub change: FormState,
    pub departure: FormState,
    pub letter: FormState,
    pub arrival: FormState,
    pub component: FormState,
    pub purchase: FormState,
    pub decision: FormState,
    pub payment: FormState,
    pub followup: FormState,
    pub survey: FormState,
    pub closure: FormState,
}

fn yes_no(t: &Tr, b: Option<bool>) -> String {
    match b {
        Some(true) => t.t("yes"),
        Some(false) => t.t("no"),
        None => "—".into(),
    }
}

fn referral_rows(t: &Tr, r: &Referral) -> Vec<(String, String)> {
    let f = &r.facts;
    let d = |x: Option<chrono::NaiveDate>| x.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
    let k = |name: &str| t.t(&format!("field-referral-{name}"));
    vec![
        (k("claim_filed_on"), d(f.claim_filed_on)),
        (
            k("claim_outcome"),
            f.claim_outcome
                .as_deref()
                .map(|o| t.choice("outcome", o))
                .unwrap_or_else(|| "—".into()),
        ),
        (k("irb_decided_on"), d(f.irb_decided_on)),
        (
            k("designated_country_of_origin"),
            yes_no(t, f.designated_country_of_origin),
        ),
        (
            k("federal_court_leave_filed_on"),
            d(f.federal_court_leave_filed_on),
        ),
        (k("prra_applied_on"), d(f.prra_applied_on)),
        (k("prra_decided_on"), d(f.prra_decided_on)),
        (k("removal_order"), yes_no(t, f.removal_order)),
        (
            k("compliant_with_conditions"),
            yes_no(t, f.compliant_with_conditions),
        ),
        (
            k("criminality"),
            f.criminality
                .as_deref()
                .map(|o| t.choice("criminality", o))
                .unwrap_or_else(|| "—".into()),
        ),
        (
            k("residence_region"),
            f.residence_region.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            k("prior_avrr_assistance"),
            yes_no(t, f.prior_avrr_assistance),
        ),
        (
            t.t("referred-by"),
            r.referred_by_name.clone().unwrap_or_else(|| "—".into()),
        ),
    ]
}

/// Turns "forbidden" into "not shown", keeping real errors.
fn allowed<T>(r: Result<T, Error>) -> Result<Option<T>, Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::Forbidden) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Loads the sections for `actor` (the case's scope was checked by the caller).
pub async fn load(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    case: &homeward_store::cases::ScopedCase,
    members: &[homeward_store::cases::Member],
) -> Result<CaseExtras, Error> {
    let t = ctx.tr();
    let store = &state.store;
    let role = actor.role;
    let mut x = CaseExtras::default();
    if role.can(Resource::Referral, Action::Read) {
        x.referral = referrals::get(store, actor, case).await?;
        x.referral_rows = x
            .referral
            .as_ref()
            .map(|r| referral_rows(&t, r))
            .unwrap_or_default();
        x.can_edit_referral = role.can(Resource::Referral, Action::Update);
        if let Some(e) = referrals::latest_evaluation(store, actor, case).await? {
            let rules = e
                .rules()
                .into_iter()
                .map(|(rid, outcome, key, args)| {
                    (
                        t.t(&format!("rule-name-{rid}")),
                        t.t(&format!("rule-outcome-{outcome}")),
                        say(&t, &Message { key, args }),
                    )
                })
                .collect();
            x.evaluation = Some(EvaluationView {
                eligible: e.eligible,
                determined: e.determined,
                amount: match (e.amount_minor, e.currency.as_deref()) {
                    (Some(a), Some(c)) => t.money(a, c),
                    _ => String::new(),
                },
                rule_set: e.rule_set,
                evaluated_at: e.evaluated_at,
                rules,
            });
        }
    }
    x.sessions = allowed(counselling::list(store, actor, case).await)?;
    x.can_add_session = role.can(Resource::Counselling, Action::Create);
    if x.sessions.is_some() {
        x.appointments = homeward_store::appointments::upcoming(store, actor, case.id()).await?;
    }
    x.consents = if role.can(Resource::Consent, Action::Read) {
        Some(consents::list(store, actor, case).await?)
    } else {
        None
    };
    x.can_manage_consent = role.can(Resource::Consent, Action::Create);
    x.attachments = allowed(attachments::list(store, actor, case).await)?;
    x.can_upload = role.can(Resource::Attachment, Action::Create);
    x.returnee_access =
        allowed(homeward_store::returnee_access::list(store, actor, case.id()).await)?;
    x.can_record_feedback = homeward_domain::feedback::may_record(role);
    x.topics = counselling::TOPICS
        .iter()
        .map(|v| (v.to_string(), t.choice("topic", v)))
        .collect();
    // Consent is per person: every purpose stays on offer for the others.
    x.purposes = consents::PURPOSES
        .iter()
        .map(|v| (v.to_string(), t.choice("purpose", v)))
        .collect();
    x.kinds = attachments::KINDS
        .iter()
        .map(|v| (v.to_string(), t.choice("kind", v)))
        .collect();
    x.documents = if role.can(Resource::Case, Action::Read) {
        Some(readiness::documents(store, actor, case).await?)
    } else {
        None
    };
    x.can_add_document = role.can(Resource::Case, Action::Update);
    x.vulnerabilities = allowed(readiness::vulnerabilities(store, actor, case).await)?;
    x.fitness = allowed(readiness::fitness(store, actor, case).await)?;
    x.can_add_health = role.can(Resource::Counselling, Action::Create);
    // Letters default to the principal applicant's first language that has a translation.
    let preferred: Vec<String> = members
        .iter()
        .find(|m| m.relationship == "principal")
        .map(|m| m.person.preferred_languages.clone())
        .unwrap_or_default();
    x.travellers = members
        .iter()
        .map(|m| (m.person.id.to_string(), m.person.display_name.clone()))
        .collect();
    let choices = |group: &str, vals: &[&str]| -> Vec<(String, String)> {
        vals.iter()
            .map(|v| (v.to_string(), t.choice(group, v)))
            .collect()
    };
    x.document_kinds = choices("document", &homeward_domain::readiness::DOCUMENT_KINDS);
    x.vulnerability_kinds = choices(
        "vulnerability",
        &homeward_domain::readiness::VULNERABILITIES,
    );
    x.fitness_statuses = choices("fitness", &homeward_domain::readiness::FITNESS);
    x.assistance_codes = homeward_domain::readiness::SPECIAL_ASSISTANCE
        .iter()
        .map(|c| c.to_string())
        .collect();
    x.travel = super::travel::load(state, &t, actor, case, &preferred).await?;
    Ok(x)
}

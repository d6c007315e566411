//! What the case page shows of a returned case's monitoring: follow-ups,
//! surveys and closures.

use crate::i18n::Tr;
use crate::AppState;
use homeward_domain::followups::{CONTACT_MODES, OUTCOMES};
use homeward_domain::reintegration::CLOSURE_REASONS;
use homeward_domain::{CaseStatus, Role};
use homeward_store::closure::{self, Closure};
use homeward_store::followups::{self, FollowUp};
use homeward_store::surveys::{self, Survey};
use homeward_store::{Actor, Error};

/// One question of the survey form.
pub struct Question {
    pub id: String,
    pub text: String,
    pub dimension: String,
    /// (value, label).
    pub options: Vec<(String, String)>,
}

/// A survey as the page shows it: scores as percentages.
pub struct SurveyRow {
    pub s: Survey,
    pub economic: String,
    pub social: String,
    pub psychosocial: String,
    pub composite: String,
}

/// The monitoring part of the reintegration section.
#[derive(Default)]
pub struct MonitoringView {
    pub followups: Option<Vec<FollowUp>>,
    pub surveys: Option<Vec<SurveyRow>>,
    pub questions: Vec<Question>,
    /// The questionnaire's note, shown while its weights are unverified.
    pub questionnaire_warning: Option<String>,
    pub questionnaire_key: String,
    pub closures: Vec<Closure>,
    /// (id, "due date") of the follow-ups still open, soonest first.
    pub open_followups: Vec<(String, String)>,
    pub can_record: bool,
    pub can_close: bool,
    pub can_reopen: bool,
    pub outcomes: Vec<(String, String)>,
    pub contact_modes: Vec<(String, String)>,
    pub closure_reasons: Vec<(String, String)>,
}

/// A score on the RSS scale, 0 to 1 with two decimals, as the dashboard
/// and the donor report show it.
fn score(t: &Tr, x: f64) -> String {
    let s = format!("{x:.2}");
    match t.code() {
        "fr" => s.replace('.', ","),
        _ => s,
    }
}

/// Loads follow-ups, surveys and closures for the roles that may read them.
pub async fn load(
    state: &AppState,
    t: &Tr,
    actor: &Actor,
    case: &homeward_store::cases::ScopedCase,
    status: CaseStatus,
) -> Result<MonitoringView, Error> {
    let role = actor.role;
    let store = &state.store;
    let reads = matches!(role, Role::MissionOfficer | Role::Supervisor);
    let mut m = MonitoringView::default();
    if !reads {
        return Ok(m);
    }
    let fus = followups::list(store, actor, case).await?;
    m.open_followups = fus
        .iter()
        .filter(|f| {
            !f.outcome
                .as_deref()
                .is_some_and(homeward_domain::followups::completes)
        })
        .map(|f| (f.id.to_string(), format!("{} {}", t.t("col-due"), f.due_on)))
        .collect();
    m.followups = Some(fus);
    m.surveys = Some(
        surveys::list(store, actor, case)
            .await?
            .into_iter()
            .map(|s| SurveyRow {
                economic: score(t, s.economic),
                social: score(t, s.social),
                psychosocial: score(t, s.psychosocial),
                composite: score(t, s.composite),
                s,
            })
            .collect(),
    );
    m.closures = closure::history(store, actor, case).await?;
    let open = matches!(status, CaseStatus::Reintegrating | CaseStatus::Monitoring);
    m.can_record = role == Role::MissionOfficer && open;
    m.can_close = open;
    // Only a case closed after return reopens (the store checks it again).
    m.can_reopen = status == CaseStatus::Closed && !m.closures.is_empty();
    // Wherever a score is shown or taken, the unchecked weights are said.
    let any = m.surveys.as_ref().is_some_and(|s| !s.is_empty());
    if !surveys::questionnaire(store).weights_verified && (any || open) {
        m.questionnaire_warning = Some(t.t("rss-weights-unverified"));
    }
    if m.can_record {
        let q = surveys::questionnaire(store);
        let lang = t.code();
        m.questionnaire_key = format!("{}@{}", q.id, q.version);

        m.questions = q
            .indicators
            .iter()
            .map(|i| Question {
                id: i.id.clone(),
                text: i.question.get(lang).to_string(),
                dimension: t.choice("dimension", i.dimension.as_str()),
                options: i
                    .scale
                    .iter()
                    .map(|o| (o.value.clone(), o.label.get(lang).to_string()))
                    .collect(),
            })
            .collect();
    }
    let choices = |group: &str, vals: &[&str]| -> Vec<(String, String)> {
        vals.iter()
            .map(|v| (v.to_string(), t.choice(group, v)))
            .collect()
    };
    m.outcomes = choices("followup-outcome", &OUTCOMES);
    m.contact_modes = choices("contact-mode", &CONTACT_MODES);
    m.closure_reasons = choices("closure", &CLOSURE_REASONS);
    Ok(m)
}

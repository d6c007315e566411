//! The task list: what is due or overdue in the actor's cases, computed from
//! the data (never stored), so it cannot drift from the cases themselves.

use crate::actor::Actor;
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, Result, Store};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use homeward_domain::{Action, Resource};
use serde::Serialize;
use uuid::Uuid;

/// The departure target of a programme that sets none, and the window in
/// which a travel document's expiry is flagged.
pub const DEPARTURE_TARGET_DAYS: i64 = 30;

/// One thing to do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Task {
    /// overdue-contact, past-departure-target, document-expiring, consulate-waiting, fitness-check-due, plan-due,
    /// followup-overdue, feedback-overdue.
    pub kind: &'static str,
    pub case_id: Uuid,
    pub case_number: String,
    pub principal_name: String,
    /// When it is (or was) due.
    pub due: Option<DateTime<Utc>>,
    /// Who or what it is about (a traveller's name), if narrower than the case.
    pub about: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    case_id: Uuid,
    case_number: String,
    principal_name: String,
    due: Option<DateTime<Utc>>,
    about: Option<String>,
}

const OPEN: &str = "('intake', 'counselling', 'applied', 'eligible', 'preparing_departure')";

async fn query(
    store: &Store,
    actor: &Actor,
    select: &str,
    from_where: &str,
    binds: Vec<Param>,
    kind: &'static str,
) -> Result<Vec<Task>> {
    let mut q = Sql::new(select);
    q.push(from_where);
    q.params.extend(binds);
    actor.push_case_scope(&mut q);
    q.push(" ORDER BY 4 LIMIT 200");
    let rows: Vec<Row> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, Row>(&q.text), q.params).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Task {
            kind,
            case_id: r.case_id,
            case_number: r.case_number,
            principal_name: r.principal_name,
            due: r.due,
            about: r.about,
        })
        .collect())
}

/// Every open task in the actor's scope, most urgent kinds first.
pub async fn list(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Vec<Task>> {
    actor.require(Resource::Case, Action::Read)?;
    let head = "SELECT c.id AS case_id, c.case_number, p.display_name AS principal_name";
    let base = " FROM cases c JOIN persons p ON p.id = c.principal_person_id";
    let mut out = Vec::new();
    // Placeholders are numbered from $1 in each query: the bound values come first.
    out.extend(
        query(store, actor, &format!("{head}, r.contact_due_at AS due, NULL AS about"),
            &format!("{base} JOIN referrals r ON r.case_id = c.id WHERE c.status = 'referred' AND r.contacted_at IS NULL AND r.contact_due_at < $1"),
            vec![Param::Time(now)], "overdue-contact").await?,
    );
    // Each programme's own departure target.
    let mut late = Vec::new();
    let mut params = Vec::new();
    for p in crate::programmes::list(store).await? {
        params.push(Param::Uuid(p.id));
        params.push(Param::Time(now - Duration::days(p.departure_target_days)));
        late.push(format!(
            "(c.programme_id = ${} AND c.referred_at < ${})",
            params.len() - 1,
            params.len()
        ));
    }
    if !late.is_empty() {
        out.extend(
            query(
                store,
                actor,
                &format!("{head}, c.referred_at AS due, NULL AS about"),
                &format!(
                    "{base} WHERE c.status IN {OPEN} AND ({})",
                    late.join(" OR ")
                ),
                params,
                "past-departure-target",
            )
            .await?,
        );
    }
    let mut expiring = query(store, actor, &format!("{head}, NULL AS due, d.number AS about"),
        &format!("{base} JOIN travel_documents d ON d.case_id = c.id WHERE c.status IN {OPEN} AND d.expires_on IS NOT NULL AND d.expires_on < $1"),
        vec![Param::Date(today + Duration::days(crate::tasks::DEPARTURE_TARGET_DAYS))], "document-expiring").await?;
    out.append(&mut expiring);
    out.extend(
        query(store, actor, &format!("{head}, NULL AS due, d.consulate AS about"),
            &format!("{base} JOIN travel_documents d ON d.case_id = c.id WHERE c.status IN {OPEN} AND d.etd_requested_on IS NOT NULL AND d.etd_issued_on IS NULL AND d.kind = $1"),
            vec![Param::Text("emergency_travel_document".into())], "consulate-waiting").await?,
    );
    out.extend(
        query(store, actor, &format!("{head}, NULL AS due, tp.display_name AS about"),
            &format!("{base} JOIN case_members m ON m.case_id = c.id JOIN persons tp ON tp.id = m.person_id \
              WHERE c.status = $1 AND NOT EXISTS (SELECT 1 FROM fitness_checks f WHERE f.case_id = c.id AND f.person_id = m.person_id)"),
            vec![Param::Text("preparing_departure".into())], "fitness-check-due").await?,
    );
    out.extend(fitness_before_flights(store, actor, now).await?);
    out.extend(plans_due(store, actor).await?);
    out.extend(followups_overdue(store, actor, today).await?);
    // Questions and complaints past their answer day: the supervisor's.
    out.extend(
        crate::feedback::overdue(store, actor, today, 200)
            .await?
            .into_iter()
            .map(
                |(case_id, case_number, principal_name, from, due_on)| Task {
                    kind: "feedback-overdue",
                    case_id,
                    case_number,
                    principal_name,
                    due: due_on.and_hms_opt(23, 59, 0).map(|t| t.and_utc()),
                    about: Some(from),
                },
            ),
    );
    Ok(out)
}

/// Follow-up contacts not completed and more than their programme's grace
/// days past due, on cases in reintegration or monitoring: due on the
/// follow-up's date.
async fn followups_overdue(store: &Store, actor: &Actor, today: NaiveDate) -> Result<Vec<Task>> {
    #[derive(sqlx::FromRow)]
    struct Due {
        case_id: Uuid,
        case_number: String,
        principal_name: String,
        due_on: NaiveDate,
    }
    let schedules = crate::programmes::followup_schedules(store).await?;
    if schedules.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT c.id AS case_id, c.case_number, p.display_name AS principal_name, f.due_on          FROM followups f JOIN cases c ON c.id = f.case_id JOIN persons p ON p.id = c.principal_person_id          WHERE f.completed_at IS NULL AND c.status IN ('reintegrating', 'monitoring') AND (",
    );
    // Grace days are per programme: one cut-off date each (programmes are few).
    for (n, (programme_id, schedule)) in schedules.iter().enumerate() {
        if n > 0 {
            q.push(" OR ");
        }
        q.push("(c.programme_id = ")
            .bind(Param::Uuid(*programme_id))
            .push(" AND f.due_on < ")
            .bind(Param::Date(homeward_domain::followups::overdue_before(
                today,
                schedule.grace_days,
            )))
            .push(")");
    }
    q.push(")");
    actor.push_case_scope(&mut q);
    q.push(" ORDER BY f.due_on LIMIT 200");
    let rows: Vec<Due> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, Due>(&q.text), q.params).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Task {
            kind: "followup-overdue",
            case_id: r.case_id,
            case_number: r.case_number,
            principal_name: r.principal_name,
            due: r.due_on.and_hms_opt(23, 59, 0).map(|t| t.and_utc()),
            about: None,
        })
        .collect())
}

/// Returned cases whose reintegration plan is not approved yet: due 30 days
/// after arrival (overdue once that day has passed).
async fn plans_due(store: &Store, actor: &Actor) -> Result<Vec<Task>> {
    #[derive(sqlx::FromRow)]
    struct Due {
        case_id: Uuid,
        case_number: String,
        principal_name: String,
        arrived_on: NaiveDate,
    }
    let mut q = Sql::new(
        "SELECT c.id AS case_id, c.case_number, p.display_name AS principal_name, a.arrived_on \
         FROM cases c JOIN persons p ON p.id = c.principal_person_id JOIN arrivals a ON a.case_id = c.id \
         WHERE c.status IN ('reintegrating', 'monitoring') \
         AND NOT EXISTS (SELECT 1 FROM reintegration_plans r WHERE r.case_id = c.id AND r.status = 'approved')",
    );
    actor.push_case_scope(&mut q);
    q.push(" ORDER BY a.arrived_on LIMIT 200");
    let rows: Vec<Due> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, Due>(&q.text), q.params).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Task {
            kind: "plan-due",
            case_id: r.case_id,
            case_number: r.case_number,
            principal_name: r.principal_name,
            due: homeward_domain::reintegration::plan_due(r.arrived_on)
                .and_hms_opt(23, 59, 0)
                .map(|t| t.and_utc()),
            about: None,
        })
        .collect())
}

/// Travellers booked on a flight in the coming week whose latest favourable
/// fitness check does not fall within the window before that flight: due by
/// the departure.
async fn fitness_before_flights(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Task>> {
    #[derive(sqlx::FromRow)]
    struct Due {
        case_id: Uuid,
        case_number: String,
        principal_name: String,
        departs_at: DateTime<Utc>,
        traveller: String,
        last_check: Option<DateTime<Utc>>,
    }
    let mut q = Sql::new(
        "SELECT c.id AS case_id, c.case_number, p.display_name AS principal_name, i.departs_at, tp.display_name AS traveller, \
         (SELECT MAX(f.checked_at) FROM fitness_checks f WHERE f.case_id = c.id AND f.person_id = t.person_id \
            AND f.status IN ('fit', 'fit_with_escort') AND f.checked_at <= i.departs_at) AS last_check \
         FROM cases c JOIN persons p ON p.id = c.principal_person_id JOIN itineraries i ON i.case_id = c.id \
         JOIN itinerary_travellers t ON t.itinerary_id = i.id JOIN persons tp ON tp.id = t.person_id \
         WHERE i.status = 'booked' AND i.departs_at >= ",
    );
    q.bind(Param::Time(now))
        .push(" AND i.departs_at < ")
        .bind(Param::Time(now + Duration::days(7)));
    actor.push_case_scope(&mut q);
    q.push(" ORDER BY i.departs_at LIMIT 200");
    let rows: Vec<Due> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, Due>(&q.text), q.params).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            !r.last_check.is_some_and(|c| {
                homeward_domain::readiness::fitness_check_in_window(
                    c,
                    r.departs_at,
                    store.fitness_window_hours,
                )
            })
        })
        .map(|r| Task {
            kind: "fitness-check-due",
            case_id: r.case_id,
            case_number: r.case_number,
            principal_name: r.principal_name,
            due: Some(r.departs_at),
            about: Some(r.traveller),
        })
        .collect())
}

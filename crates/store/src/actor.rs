//! Who is acting, and the record scope that follows from it.

use crate::sql::{Param, Sql};
use homeward_domain::{Action, Resource, Role, Scope};
use uuid::Uuid;

/// The signed-in user on whose behalf a use case runs.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team: Option<String>,
    pub country: Option<String>,
    /// The programmes whose cases, counts and money the actor may see:
    /// `None` across every programme (admins, auditors), else these ids.
    pub programmes: Option<Vec<Uuid>>,
    /// The zone of the actor's office (their first programme's), where
    /// their days are counted and times shown.
    pub time_zone: chrono_tz::Tz,
    /// Cases opened by breaking the glass (a supervisor's, while the
    /// grants last): in scope whatever the record scope says.
    pub break_glass: Vec<Uuid>,
    /// Correlates audit entries with the request's log lines.
    pub request_id: Option<String>,
}

impl Actor {
    /// The actor's record scope.
    pub fn scope(&self) -> Scope {
        self.role
            .scope(self.team.as_deref(), self.country.as_deref())
    }

    /// Fails with `Forbidden` unless the role may do this.
    pub fn require(&self, resource: Resource, action: Action) -> crate::Result<()> {
        if self.role.can(resource, action) {
            Ok(())
        } else {
            Err(crate::Error::Forbidden)
        }
    }

    /// The zone the actor's days are counted and times shown in: a
    /// mission officer's country's, everyone else's office's.
    pub fn local_zone(&self) -> chrono_tz::Tz {
        self.country
            .as_deref()
            .filter(|_| self.role == Role::MissionOfficer)
            .and_then(homeward_domain::airports::country_time_zone)
            .unwrap_or(self.time_zone)
    }

    /// Whether the actor may see programme `id`'s cases, counts and money.
    pub fn in_programme(&self, id: Uuid) -> bool {
        self.programmes.as_ref().is_none_or(|ps| ps.contains(&id))
    }

    /// Appends `AND <programme scope>` on `column` (a programme id): the
    /// programmes the actor belongs to; nothing for those across them all.
    pub fn push_programme_scope(&self, sql: &mut Sql, column: &str) {
        match &self.programmes {
            None => {}
            Some(ps) if ps.is_empty() => {
                sql.push(" AND 1 = 0");
            }
            Some(ps) => {
                sql.push(" AND ")
                    .push(column)
                    .push(" IN (")
                    .bind_list(ps.iter().map(|p| Param::Uuid(*p)))
                    .push(")");
            }
        }
    }

    /// Appends `AND <case scope>` for the cases table aliased `c`: the
    /// role's record scope within the actor's programmes.
    pub fn push_case_scope(&self, sql: &mut Sql) {
        if self.break_glass.is_empty() {
            self.push_record_scope(sql);
            return;
        }
        sql.push(" AND ((1 = 1");
        self.push_record_scope(sql);
        sql.push(") OR c.id IN (")
            .bind_list(self.break_glass.iter().map(|id| Param::Uuid(*id)))
            .push("))");
    }

    /// The role's record scope within the actor's programmes, without the
    /// cases opened by breaking the glass.
    fn push_record_scope(&self, sql: &mut Sql) {
        if !matches!(self.scope(), Scope::Nothing) {
            self.push_programme_scope(sql, "c.programme_id");
        }
        match self.scope() {
            Scope::All => {}
            Scope::Nothing => {
                sql.push(" AND 1 = 0");
            }
            // Counsellors also see the intake queue: new referrals nobody has taken yet.
            Scope::Own => {
                sql.push(" AND (c.counsellor_id = ")
                    .bind(Param::Uuid(self.user_id))
                    .push(" OR c.created_by = ")
                    .bind(Param::Uuid(self.user_id))
                    .push(" OR (c.counsellor_id IS NULL AND c.status = 'referred'))");
            }
            Scope::Team(t) => {
                sql.push(" AND (c.counsellor_id IS NULL OR c.counsellor_id IN (SELECT u.id FROM users u WHERE u.team = ")
                    .bind(Param::Text(t))
                    .push("))");
            }
            Scope::Country(cc) => {
                sql.push(" AND c.country_of_return = ")
                    .bind(Param::Text(cc));
                push_mission_role(sql);
            }
        }
    }

    /// The case counter table (migration 0002) aliased `c`, or, when the
    /// actor's scope tests more than its columns (a mission's part in a case
    /// depends on consents and history, a broken glass names cases), the
    /// cases themselves with `n = 1`:
    /// `SUM(c.n)` and the case scope read the same from either.
    pub fn counts_table(&self) -> &'static str {
        match (self.scope(), self.break_glass.is_empty()) {
            (Scope::Country(_), _) | (_, false) => "(SELECT cs.*, 1 AS n FROM cases cs) c",
            _ => "case_counts c",
        }
    }

    /// Appends `AND <person scope>` for the persons table aliased `p`: people on a
    /// case in scope, or people this user registered who are on no case yet.
    pub fn push_person_scope(&self, sql: &mut Sql) {
        match self.scope() {
            Scope::All => {}
            Scope::Nothing => {
                sql.push(" AND 1 = 0");
            }
            _ => {
                sql.push(" AND (EXISTS (SELECT 1 FROM case_members m JOIN cases c ON c.id = m.case_id WHERE m.person_id = p.id");
                self.push_case_scope(sql);
                sql.push(") OR (p.created_by = ")
                    .bind(Param::Uuid(self.user_id))
                    .push(" AND NOT EXISTS (SELECT 1 FROM case_members m2 WHERE m2.person_id = p.id)))");
            }
        }
    }
}

/// Appends the mission's part of a case (`consent::mission_sees`): from
/// departure preparation on (a closed case only if it was closed after
/// return: it left a status after departure), and only while the
/// principal's consent to share with the mission is in force.
fn push_mission_role(sql: &mut Sql) {
    use homeward_domain::consent::{MISSION_STATUSES, SHARE_WITH_MISSION};
    use homeward_domain::CaseStatus;
    let text = |s: &CaseStatus| Param::Text(s.as_str().to_string());
    sql.push(" AND (c.status IN (")
        .bind_list(MISSION_STATUSES.iter().map(text))
        .push(") OR (c.status = 'closed' AND EXISTS (SELECT 1 FROM case_transitions mt WHERE mt.case_id = c.id AND mt.from_status IN (")
        .bind_list(
            CaseStatus::ALL
                .iter()
                .filter(|s| s.is_after_departure())
                .map(text),
        )
        .push("))))");
    push_principal_consent(sql, SHARE_WITH_MISSION);
}

/// Appends `AND` the principal's consent for `purpose` is in force, for
/// the cases table aliased `c`.
pub(crate) fn push_principal_consent(sql: &mut Sql, purpose: &str) {
    sql.push(" AND EXISTS (SELECT 1 FROM consents mk WHERE mk.case_id = c.id AND mk.person_id = c.principal_person_id AND mk.withdrawn_at IS NULL AND mk.purpose = ")
        .bind(Param::Text(purpose.to_string()))
        .push(")");
}

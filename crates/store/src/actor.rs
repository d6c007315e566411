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

    /// Appends `AND <case scope>` for the cases table aliased `c`.
    pub fn push_case_scope(&self, sql: &mut Sql) {
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
            }
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

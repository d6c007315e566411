//! An audit entry as it is read back: for the auditor's pages, the API and
//! the hash chain's check.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// An entry as the auditor sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    pub id: i64,
    /// Position in the hash chain; `None` until sealed.
    pub seq: Option<i64>,
    /// SHA-256 (hex) of the previous entry's hash and this entry's fields.
    pub hash: Option<String>,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub case_id: Option<Uuid>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub request_id: Option<String>,
}

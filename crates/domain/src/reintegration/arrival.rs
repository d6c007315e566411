//! The mission officer's confirmation of arrival, and when the plan falls due.

use super::category::*;
use crate::validation::{self, Invalid};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The mission officer's confirmation of arrival.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"arrived_on": "2027-03-14", "place": "Budapest Ferenc Liszt International Airport"})))]
pub struct ArrivalInput {
    /// The day the returnee arrived (`YYYY-MM-DD`): not before the
    /// departure, not in the future. Required.
    #[serde(default)]
    pub arrived_on: Option<NaiveDate>,
    /// Where the returnee arrived (town, airport or border crossing).
    /// Required, up to 200 characters.
    #[serde(default)]
    pub place: Option<String>,
}

/// Checks an arrival: a date between the departure (its local date at the
/// airport of departure) and today, and a place.
pub fn validate_arrival(
    i: &ArrivalInput,
    departed_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), Invalid> {
    let mut inv = Invalid::default();
    match i.arrived_on {
        None => inv.add("arrived_on", "required"),
        Some(d) if d > today => inv.add("arrived_on", "in-the-future"),
        Some(d) if d < departed_on => inv.add("arrived_on", "arrival-before-departure"),
        Some(_) => {}
    }
    validation::text(&mut inv, "place", i.place.as_deref(), true, 200);
    inv.into_result()
}

/// The day by which the plan should be ready: arrival + [`PLAN_DUE_DAYS`].
pub fn plan_due(arrival: NaiveDate) -> NaiveDate {
    arrival + chrono::Duration::days(PLAN_DUE_DAYS)
}

/// Whether a plan still missing on `today` is overdue (the day after it was due).
pub fn is_plan_overdue(arrival: NaiveDate, today: NaiveDate) -> bool {
    today > plan_due(arrival)
}

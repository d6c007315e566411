//! Merging two records of the same person (docs/adr/0032): who may review
//! candidate pairs, and which details the kept record takes over. Pure: the
//! store moves the rows.

use crate::person::PersonData;
use crate::role::Role;

/// Who may review the duplicate queue, compare two people, merge them, undo
/// a merge and mark a pair as not duplicates: supervisors, within their
/// record scope. Counsellors are refused: the other record of a pair is
/// usually outside their own cases, and whether two people are one is a
/// supervisor's decision (they see the result: the merged cases). Every
/// other role holds no need to know.
pub fn may_review(role: Role) -> bool {
    role == Role::Supervisor
}

/// Details the kept record takes over from the merged one when it has none:
/// facts that do not contradict it (a second name, date or number is not
/// overwritten; the supervisor edits the kept record for that). Column names
/// of `persons`.
pub const FILLABLE: [&str; 8] = [
    "original_script_name",
    "date_of_birth",
    "phone",
    "email",
    "address",
    "uci",
    "cbsa_client_id",
    "passport_number",
];

/// The [`FILLABLE`] fields empty on `kept` and known on `merged`, in that order.
pub fn fields_to_fill(kept: &PersonData, merged: &PersonData) -> Vec<&'static str> {
    let value = |d: &PersonData, f: &str| -> bool {
        match f {
            "original_script_name" => d.original_script_name.is_some(),
            "date_of_birth" => d.date_of_birth.is_some(),
            "phone" => d.phone.is_some(),
            "email" => d.email.is_some(),
            "address" => d.address.is_some(),
            "uci" => d.uci.is_some(),
            "cbsa_client_id" => d.cbsa_client_id.is_some(),
            "passport_number" => d.passport_number.is_some(),
            _ => true,
        }
    };
    FILLABLE
        .into_iter()
        .filter(|f| !value(kept, f) && value(merged, f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_supervisors_review() {
        for r in Role::ALL {
            assert_eq!(may_review(r), r == Role::Supervisor, "{r}");
        }
    }

    fn blank() -> PersonData {
        PersonData {
            given_names: Some("Agnes".into()),
            family_name: None,
            original_script_name: None,
            aliases: Vec::new(),
            sex: "unknown".into(),
            date_of_birth: None,
            date_of_birth_approximate: false,
            nationalities: Vec::new(),
            preferred_languages: Vec::new(),
            interpreter_needed: false,
            phone: None,
            email: None,
            address: None,
            uci: None,
            cbsa_client_id: None,
            passport_number: None,
        }
    }

    #[test]
    fn fills_only_what_the_kept_record_lacks() {
        let kept = PersonData {
            phone: Some("+1 416 555 0101".into()),
            ..blank()
        };
        let merged = PersonData {
            phone: Some("+1 416 555 0199".into()),
            uci: Some("1234-5678".into()),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1980, 5, 17),
            ..blank()
        };
        assert_eq!(fields_to_fill(&kept, &merged), vec!["date_of_birth", "uci"]);
        assert!(fields_to_fill(&merged, &blank()).is_empty());
    }
}

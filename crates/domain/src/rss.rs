//! The Reintegration Sustainability Survey (RSS): IOM's measure of
//! reintegration, as a versioned questionnaire that is configuration (never
//! constants in code), and the scores computed from one set of answers.
//!
//! A questionnaire has indicators; each belongs to a dimension (economic,
//! social, psychosocial), has a weight and one question whose answer options
//! each carry a score between 0 (worst) and 1 (best). An option whose score
//! is `null` ("not applicable", "prefers not to say") is a valid answer that
//! is left out of the means, weight and all.
//!
//! Scores, all between 0 and 1:
//! - each dimension: the weighted mean of the scores of its answered
//!   indicators, with `weight`;
//! - the composite, by the questionnaire's `composite` field:
//!   `weighted_mean_of_indicators` (the default) is the weighted mean over
//!   every answered indicator with `composite_weight` (defaulting to
//!   `weight`), for annexes that give each question a dimension weight and a
//!   composite weight, as IOM's RSS annex is understood to do (not verified
//!   here: domain.md does not say); `mean_of_dimensions` is the plain mean
//!   of the three dimension scores.
//!
//! The default questionnaire ([`default_questionnaire`]) has the RSS's 15
//! indicators but placeholder wording, scores and weights: its `note` says
//! so, and `weights_verified` is false until someone checks it against IOM's
//! published annex.

use crate::reintegration::Dimension;
use crate::validation::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The number of indicators of IOM's RSS (and of the default questionnaire).
pub const RSS_INDICATORS: usize = 15;

/// A text in each language Homeward speaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub en: String,
    pub fr: String,
}

impl Text {
    /// The text in `lang` (`fr`), English otherwise.
    pub fn get(&self, lang: &str) -> &str {
        if lang == "fr" {
            &self.fr
        } else {
            &self.en
        }
    }

    fn is_complete(&self) -> bool {
        !self.en.trim().is_empty() && !self.fr.trim().is_empty()
    }
}

/// One possible answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    /// Stored as the answer.
    pub value: String,
    pub label: Text,
    /// Between 0 and 1; `None` leaves the indicator out of the means.
    pub score: Option<f64>,
}

/// One indicator and its question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable: answers are keyed by it.
    pub id: String,
    pub dimension: Dimension,
    /// Weight in its dimension's score.
    pub weight: f64,
    /// Weight in the composite score, if different from `weight`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composite_weight: Option<f64>,
    pub question: Text,
    pub scale: Vec<AnswerOption>,
}

/// How the composite score is computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Composite {
    /// Weighted mean over all answered indicators (`composite_weight`).
    #[default]
    WeightedMeanOfIndicators,
    /// Plain mean of the three dimension scores.
    MeanOfDimensions,
}

/// A version of the survey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    pub id: String,
    pub version: u32,
    /// Where the questionnaire comes from and what to check before use.
    #[serde(default)]
    pub note: String,
    /// Whether the weights were checked against IOM's published annex; pages
    /// warn while it is false.
    #[serde(default)]
    pub weights_verified: bool,
    #[serde(default)]
    pub composite: Composite,
    pub indicators: Vec<Indicator>,
}

/// The four scores of one survey, with the questionnaire that produced them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// `id@version` of the questionnaire.
    pub questionnaire: String,
    pub economic: f64,
    pub social: f64,
    pub psychosocial: f64,
    pub composite: f64,
}

impl Scores {
    /// The score of one dimension.
    pub fn dimension(&self, d: Dimension) -> f64 {
        match d {
            Dimension::Economic => self.economic,
            Dimension::Social => self.social,
            Dimension::Psychosocial => self.psychosocial,
        }
    }
}

fn positive(w: f64) -> bool {
    w.is_finite() && w > 0.0
}

impl Questionnaire {
    /// `id@version`, as stored with each survey's answers and scores.
    pub fn key(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// The indicator with this id.
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// Reads and checks a questionnaire (`questionnaire`:
    /// `rss-questionnaire-unreadable` when the JSON does not fit).
    pub fn from_json(text: &str) -> Result<Questionnaire, Invalid> {
        let q: Questionnaire = serde_json::from_str(text).map_err(|_| {
            let mut inv = Invalid::default();
            inv.add("questionnaire", "rss-questionnaire-unreadable");
            inv
        })?;
        q.validate()?;
        Ok(q)
    }

    /// Checks the questionnaire. Fields are paths such as
    /// `indicators.3.weight`. Codes: `required`, `out-of-range`, `duplicate`,
    /// `rss-weight-not-positive`, `rss-scale-too-short`,
    /// `rss-score-out-of-range`, `rss-scale-not-normalised` (the best scored
    /// answer must score 1 and the worst 0, so that all-best answers give 1
    /// and all-worst 0), `rss-dimension-empty`.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut inv = Invalid::default();
        if self.id.trim().is_empty() {
            inv.add("id", "required");
        }
        if self.version == 0 {
            inv.add("version", "out-of-range");
        }
        if self.indicators.is_empty() {
            inv.add("indicators", "required");
        }
        for (n, ind) in self.indicators.iter().enumerate() {
            let f = |attr: &str| format!("indicators.{n}.{attr}");
            if ind.id.trim().is_empty() {
                inv.add(&f("id"), "required");
            } else if self.indicators[..n].iter().any(|o| o.id == ind.id) {
                inv.add(&f("id"), "duplicate");
            }
            if !positive(ind.weight) {
                inv.add(&f("weight"), "rss-weight-not-positive");
            }
            if ind.composite_weight.is_some_and(|w| !positive(w)) {
                inv.add(&f("composite_weight"), "rss-weight-not-positive");
            }
            if !ind.question.is_complete() {
                inv.add(&f("question"), "required");
            }
            let scored: Vec<f64> = ind.scale.iter().filter_map(|o| o.score).collect();
            if scored.len() < 2 {
                inv.add(&f("scale"), "rss-scale-too-short");
            }
            for (k, opt) in ind.scale.iter().enumerate() {
                let g = |attr: &str| format!("indicators.{n}.scale.{k}.{attr}");
                if opt.value.trim().is_empty() {
                    inv.add(&g("value"), "required");
                } else if ind.scale[..k].iter().any(|o| o.value == opt.value) {
                    inv.add(&g("value"), "duplicate");
                }
                if !opt.label.is_complete() {
                    inv.add(&g("label"), "required");
                }
                if opt
                    .score
                    .is_some_and(|s| !(s.is_finite() && (0.0..=1.0).contains(&s)))
                {
                    inv.add(&g("score"), "rss-score-out-of-range");
                }
            }
            let best = scored.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let worst = scored.iter().copied().fold(f64::INFINITY, f64::min);
            if scored.len() >= 2 && (best != 1.0 || worst != 0.0) {
                inv.add(&f("scale"), "rss-scale-not-normalised");
            }
        }
        for d in Dimension::ALL {
            if !self.indicators.iter().any(|i| i.dimension == d) {
                inv.add("indicators", "rss-dimension-empty");
            }
        }
        inv.into_result()
    }
}

/// The questionnaire Homeward ships with (placeholder weights: read its
/// `note`). A parse or validation failure is caught by the tests.
pub fn default_questionnaire() -> Result<Questionnaire, Invalid> {
    Questionnaire::from_json(include_str!("../rss/default-v1.json"))
}

/// Weighted mean of (weight, score) pairs; `None` when there are none.
fn weighted_mean(pairs: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let (sum, weights) = pairs.fold((0.0, 0.0), |(s, w), (wi, si)| (s + wi * si, w + wi));
    (weights > 0.0).then(|| (sum / weights).clamp(0.0, 1.0))
}

/// Scores one survey. `answers` maps indicator ids to option values. Every
/// indicator needs an answer (`<indicator id>`: `rss-answer-missing`) that
/// is one of its options (`rss-unknown-answer`); answers to indicators the
/// questionnaire does not have are refused (`<key>`: `rss-unknown-indicator`);
/// a dimension whose every answer is left out of the means has no score
/// (`<dimension>`: `rss-dimension-unanswered`). The questionnaire is checked
/// first, so the scores are always between 0 and 1.
pub fn score(q: &Questionnaire, answers: &HashMap<String, String>) -> Result<Scores, Invalid> {
    q.validate()?;
    let mut inv = Invalid::default();
    let mut keys: Vec<&String> = answers
        .keys()
        .filter(|k| q.indicator(k).is_none())
        .collect();
    keys.sort();
    for k in keys {
        inv.add(k, "rss-unknown-indicator");
    }
    // (indicator, score) of each answer that counts.
    let mut counted: Vec<(&Indicator, f64)> = Vec::new();
    for ind in &q.indicators {
        match answers.get(&ind.id).map(|a| a.trim()) {
            None | Some("") => inv.add(&ind.id, "rss-answer-missing"),
            Some(a) => match ind.scale.iter().find(|o| o.value == a) {
                None => inv.add(&ind.id, "rss-unknown-answer"),
                Some(opt) => {
                    if let Some(s) = opt.score {
                        counted.push((ind, s));
                    }
                }
            },
        }
    }
    inv.into_result()?;
    let mut dims = [0.0; 3];
    let mut inv = Invalid::default();
    for (slot, d) in dims.iter_mut().zip(Dimension::ALL) {
        let pairs = counted
            .iter()
            .filter(|(i, _)| i.dimension == d)
            .map(|(i, s)| (i.weight, *s));
        match weighted_mean(pairs) {
            Some(m) => *slot = m,
            None => inv.add(d.as_str(), "rss-dimension-unanswered"),
        }
    }
    inv.into_result()?;
    let [economic, social, psychosocial] = dims;
    let composite = match q.composite {
        Composite::MeanOfDimensions => ((economic + social + psychosocial) / 3.0).clamp(0.0, 1.0),
        Composite::WeightedMeanOfIndicators => weighted_mean(
            counted
                .iter()
                .map(|(i, s)| (i.composite_weight.unwrap_or(i.weight), *s)),
        )
        .unwrap_or(0.0),
    };
    Ok(Scores {
        questionnaire: q.key(),
        economic,
        social,
        psychosocial,
        composite,
    })
}

/// Checks the day a survey was taken: between the returnee's arrival and
/// today (`surveyed_on`: `required`, `in-the-future`, `date-before-arrival`).
pub fn validate_survey_date(
    surveyed_on: Option<chrono::NaiveDate>,
    arrival: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<(), Invalid> {
    let mut inv = Invalid::default();
    match surveyed_on {
        None => inv.add("surveyed_on", "required"),
        Some(d) if d > today => inv.add("surveyed_on", "in-the-future"),
        Some(d) if d < arrival => inv.add("surveyed_on", "date-before-arrival"),
        Some(_) => {}
    }
    inv.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn default_q() -> Questionnaire {
        default_questionnaire().unwrap()
    }

    fn answers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// For each indicator, the option with the best (or worst) score.
    fn extreme(q: &Questionnaire, best: bool) -> HashMap<String, String> {
        q.indicators
            .iter()
            .map(|i| {
                let target = if best { 1.0 } else { 0.0 };
                let o = i.scale.iter().find(|o| o.score == Some(target)).unwrap();
                (i.id.clone(), o.value.clone())
            })
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn the_default_questionnaire_validates_and_has_15_indicators() {
        let q = default_q();
        assert_eq!(q.indicators.len(), RSS_INDICATORS);
        for d in Dimension::ALL {
            assert_eq!(
                q.indicators.iter().filter(|i| i.dimension == d).count(),
                5,
                "{d:?}"
            );
        }
        assert_eq!(q.key(), "homeward-rss-default@1");
        assert!(!q.weights_verified);
        assert!(q.note.contains("PLACEHOLDER WEIGHTS"));
        assert!(q.note.contains("RSS annex of IOM's Reintegration Handbook"));
        assert_eq!(q.composite, Composite::WeightedMeanOfIndicators);
        assert!(q
            .indicators
            .iter()
            .all(|i| i.question.get("fr").ends_with('?')));
    }

    #[test]
    fn scores_computed_by_hand() {
        let q = default_q();
        let a = answers(&[
            // economic: 0.5 + 0.5 + 1 + 0.75 + 0 = 2.75 over 5 = 0.55
            ("income_sufficiency", "sometimes"),
            ("employment", "occasional"),
            ("debt", "no_debt"),
            ("food_security", "rarely"),
            ("borrowing", "no"),
            // social: 1 + 0.5 + (no children: left out) + 1 + 1 = 3.5 over 4
            ("housing", "adequate_stable"),
            ("healthcare", "sometimes"),
            ("children_education", "no_children"),
            ("documentation", "all"),
            ("drinking_water", "always"),
            // psychosocial: 0.5 + 1 + 1 + 0.25 + 0.5 = 3.25 over 5 = 0.65
            ("belonging", "partly"),
            ("discrimination", "never"),
            ("safety", "safe"),
            ("distress", "often"),
            ("stay_or_leave", "unsure"),
        ]);
        let s = score(&q, &a).unwrap();
        assert!(close(s.economic, 0.55), "{s:?}");
        assert!(close(s.social, 0.875), "{s:?}");
        assert!(close(s.psychosocial, 0.65), "{s:?}");
        // 14 answers count, weight 1 each: (2.75 + 3.5 + 3.25) / 14.
        assert!(close(s.composite, 9.5 / 14.0), "{s:?}");
        assert_eq!(s.questionnaire, "homeward-rss-default@1");
        assert!(close(s.dimension(Dimension::Social), 0.875));
        let mut q2 = q.clone();
        q2.composite = Composite::MeanOfDimensions;
        let s = score(&q2, &a).unwrap();
        assert!(close(s.composite, (0.55 + 0.875 + 0.65) / 3.0), "{s:?}");
    }

    fn small() -> Questionnaire {
        let scale = |scores: &[f64]| {
            scores
                .iter()
                .enumerate()
                .map(|(k, s)| AnswerOption {
                    value: format!("a{k}"),
                    label: Text {
                        en: format!("A{k}"),
                        fr: format!("R{k}"),
                    },
                    score: Some(*s),
                })
                .collect()
        };
        let ind = |id: &str, d, w, cw| Indicator {
            id: id.into(),
            dimension: d,
            weight: w,
            composite_weight: cw,
            question: Text {
                en: "Q?".into(),
                fr: "Q ?".into(),
            },
            scale: scale(&[0.0, 0.25, 0.5, 1.0]),
        };
        Questionnaire {
            id: "test".into(),
            version: 3,
            note: String::new(),
            weights_verified: true,
            composite: Composite::WeightedMeanOfIndicators,
            indicators: vec![
                ind("e1", Dimension::Economic, 3.0, Some(1.0)),
                ind("e2", Dimension::Economic, 1.0, None),
                ind("s1", Dimension::Social, 2.0, Some(2.0)),
                ind("p1", Dimension::Psychosocial, 0.5, Some(4.0)),
            ],
        }
    }

    #[test]
    fn weights_and_composite_weights() {
        let q = small();
        let a = answers(&[("e1", "a3"), ("e2", "a1"), ("s1", "a2"), ("p1", "a0")]);
        let s = score(&q, &a).unwrap();
        // economic: (3 × 1 + 1 × 0.25) / 4 = 0.8125
        assert!(close(s.economic, 0.8125));
        assert!(close(s.social, 0.5));
        assert!(close(s.psychosocial, 0.0));
        // composite weights 1, 1 (= weight), 2, 4:
        // (1 × 1 + 1 × 0.25 + 2 × 0.5 + 4 × 0) / 8 = 2.25 / 8
        assert!(close(s.composite, 2.25 / 8.0));
    }

    #[test]
    fn all_best_is_one_and_all_worst_is_zero() {
        for q in [default_q(), small()] {
            let best = score(&q, &extreme(&q, true)).unwrap();
            let worst = score(&q, &extreme(&q, false)).unwrap();
            for s in [
                best.economic,
                best.social,
                best.psychosocial,
                best.composite,
            ] {
                assert_eq!(s, 1.0);
            }
            for s in [
                worst.economic,
                worst.social,
                worst.psychosocial,
                worst.composite,
            ] {
                assert_eq!(s, 0.0);
            }
        }
    }

    #[test]
    fn missing_and_unknown_answers_are_refused() {
        let q = default_q();
        let mut a = extreme(&q, true);
        a.remove("debt");
        a.insert("housing".into(), "palace".into());
        a.insert("safety".into(), " ".into());
        a.insert("happiness".into(), "high".into());
        let e = score(&q, &a).unwrap_err();
        assert_eq!(e.for_field("debt"), Some("rss-answer-missing"));
        assert_eq!(e.for_field("safety"), Some("rss-answer-missing"));
        assert_eq!(e.for_field("housing"), Some("rss-unknown-answer"));
        assert_eq!(e.for_field("happiness"), Some("rss-unknown-indicator"));
        assert_eq!(e.errors.len(), 4);
    }

    #[test]
    fn a_dimension_left_wholly_out_has_no_score() {
        let q = default_q();
        let mut a = extreme(&q, true);
        for id in ["belonging", "discrimination", "safety", "distress"] {
            a.insert(id.into(), "prefer_not_to_say".into());
        }
        // stay_or_leave still counts.
        assert_eq!(score(&q, &a).unwrap().psychosocial, 1.0);
        let mut q2 = q.clone();
        q2.indicators.retain(|i| i.id != "stay_or_leave");
        a.remove("stay_or_leave");
        let e = score(&q2, &a).unwrap_err();
        assert_eq!(
            e.for_field("psychosocial"),
            Some("rss-dimension-unanswered")
        );
    }

    #[test]
    fn bad_questionnaires_are_refused() {
        let mut q = small();
        q.id = " ".into();
        q.version = 0;
        q.indicators[1].id = "e1".into();
        q.indicators[0].weight = 0.0;
        q.indicators[2].composite_weight = Some(f64::NAN);
        q.indicators[2].question.fr = String::new();
        q.indicators[3].scale[1].score = Some(1.5);
        q.indicators[3].scale[2].value = "a0".into();
        let e = q.validate().unwrap_err();
        assert_eq!(e.for_field("id"), Some("required"));
        assert_eq!(e.for_field("version"), Some("out-of-range"));
        assert_eq!(e.for_field("indicators.1.id"), Some("duplicate"));
        assert_eq!(
            e.for_field("indicators.0.weight"),
            Some("rss-weight-not-positive")
        );
        assert_eq!(
            e.for_field("indicators.2.composite_weight"),
            Some("rss-weight-not-positive")
        );
        assert_eq!(e.for_field("indicators.2.question"), Some("required"));
        assert_eq!(
            e.for_field("indicators.3.scale.1.score"),
            Some("rss-score-out-of-range")
        );
        assert_eq!(e.for_field("indicators.3.scale.2.value"), Some("duplicate"));
        assert_eq!(
            e.for_field("indicators.3.scale"),
            Some("rss-scale-not-normalised")
        );
        let mut q = small();
        q.indicators.retain(|i| i.dimension != Dimension::Social);
        q.indicators[0].scale.truncate(1);
        let e = q.validate().unwrap_err();
        assert_eq!(e.for_field("indicators"), Some("rss-dimension-empty"));
        assert_eq!(
            e.for_field("indicators.0.scale"),
            Some("rss-scale-too-short")
        );
        // Scoring refuses an invalid questionnaire rather than computing.
        assert!(score(&q, &HashMap::new()).is_err());
        let e = Questionnaire::from_json(r#"{"id":"x","version":1,"indicators":[],"extra":1}"#)
            .unwrap_err();
        assert_eq!(
            e.for_field("questionnaire"),
            Some("rss-questionnaire-unreadable")
        );
    }

    #[test]
    fn survey_dates_fall_between_arrival_and_today() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let (arrival, today) = (d("2012-09-02"), d("2013-03-01"));
        let code = |x| {
            validate_survey_date(x, arrival, today)
                .err()
                .and_then(|e| e.for_field("surveyed_on").map(str::to_owned))
        };
        assert_eq!(code(None).as_deref(), Some("required"));
        assert_eq!(
            code(Some(d("2012-09-01"))).as_deref(),
            Some("date-before-arrival")
        );
        assert_eq!(
            code(Some(d("2013-03-02"))).as_deref(),
            Some("in-the-future")
        );
        assert_eq!(code(Some(arrival)), None);
        assert_eq!(code(Some(today)), None);
    }

    #[test]
    fn a_questionnaire_round_trips_through_json() {
        let q = default_q();
        let j = serde_json::to_string(&q).unwrap();
        assert_eq!(Questionnaire::from_json(&j).unwrap(), q);
    }

    fn random_questionnaire() -> impl Strategy<Value = Questionnaire> {
        let indicator = (
            0usize..3,
            0.01f64..100.0,
            proptest::option::of(0.01f64..100.0),
            proptest::collection::vec(proptest::option::of(0.0f64..=1.0), 0..4),
        );
        proptest::collection::vec(indicator, 3..12).prop_map(|inds| {
            let mut q = small();
            q.indicators = inds
                .into_iter()
                .enumerate()
                .map(|(n, (d, w, cw, extra))| {
                    let mut scores = vec![Some(0.0), Some(1.0)];
                    scores.extend(extra);
                    Indicator {
                        id: format!("i{n}"),
                        // The first three cover every dimension.
                        dimension: Dimension::ALL[if n < 3 { n } else { d }],
                        weight: w,
                        composite_weight: cw,
                        question: Text {
                            en: "Q?".into(),
                            fr: "Q ?".into(),
                        },
                        scale: scores
                            .into_iter()
                            .enumerate()
                            .map(|(k, s)| AnswerOption {
                                value: format!("a{k}"),
                                label: Text {
                                    en: "A".into(),
                                    fr: "R".into(),
                                },
                                score: s,
                            })
                            .collect(),
                    }
                })
                .collect();
            q
        })
    }

    proptest! {
        #[test]
        fn default_scores_are_always_between_0_and_1(picks in proptest::collection::vec(0usize..10, 15)) {
            let q = default_q();
            let a: HashMap<String, String> = q
                .indicators
                .iter()
                .zip(picks)
                .map(|(i, p)| (i.id.clone(), i.scale[p % i.scale.len()].value.clone()))
                .collect();
            // Every dimension has indicators without a left-out option, so
            // any set of answers scores.
            let s = score(&q, &a).unwrap();
            for x in [s.economic, s.social, s.psychosocial, s.composite] {
                prop_assert!((0.0..=1.0).contains(&x), "{s:?}");
            }
        }

        #[test]
        fn scores_of_any_valid_questionnaire_are_between_0_and_1(
            q in random_questionnaire(),
            picks in proptest::collection::vec(0usize..10, 12),
            mean_of_dimensions in any::<bool>(),
        ) {
            let mut q = q;
            if mean_of_dimensions {
                q.composite = Composite::MeanOfDimensions;
            }
            prop_assert!(q.validate().is_ok());
            let a: HashMap<String, String> = q
                .indicators
                .iter()
                .zip(picks)
                .map(|(i, p)| (i.id.clone(), i.scale[p % i.scale.len()].value.clone()))
                .collect();
            if let Ok(s) = score(&q, &a) {
                for x in [s.economic, s.social, s.psychosocial, s.composite] {
                    prop_assert!((0.0..=1.0).contains(&x), "{s:?}");
                }
            }
        }
    }
}

//! The dimensions and categories of reintegration assistance, and the
//! limits every part shares.

use crate::money::MoneyError;
use crate::validation::Invalid;
use serde::{Deserialize, Serialize};

/// Days after arrival by which the reintegration plan should be ready.
pub const PLAN_DUE_DAYS: i64 = 30;

/// The longest description of a plan component or purchase.
pub const DESCRIPTION_MAX: usize = 2000;

/// A dimension of reintegration (IOM's integrated approach).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Economic,
    Social,
    Psychosocial,
}

impl Dimension {
    /// Every dimension, in the order pages list them (`dimension-<value>`).
    pub const ALL: [Dimension; 3] = [
        Dimension::Economic,
        Dimension::Social,
        Dimension::Psychosocial,
    ];

    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Economic => "economic",
            Dimension::Social => "social",
            Dimension::Psychosocial => "psychosocial",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// What a plan component (and a purchase) pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Housing,
    DailyNecessities,
    BusinessStartup,
    Education,
    VocationalTraining,
    JobPlacement,
    MedicalCare,
    PsychosocialSupport,
}

impl Category {
    /// Every category, in the order pages list them (`category-<value>`).
    pub const ALL: [Category; 8] = [
        Category::Housing,
        Category::DailyNecessities,
        Category::BusinessStartup,
        Category::Education,
        Category::VocationalTraining,
        Category::JobPlacement,
        Category::MedicalCare,
        Category::PsychosocialSupport,
    ];

    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Housing => "housing",
            Category::DailyNecessities => "daily_necessities",
            Category::BusinessStartup => "business_startup",
            Category::Education => "education",
            Category::VocationalTraining => "vocational_training",
            Category::JobPlacement => "job_placement",
            Category::MedicalCare => "medical_care",
            Category::PsychosocialSupport => "psychosocial_support",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The dimensions a component of this category may serve, the usual one
    /// first. Economic: income and work; social: access to services
    /// (housing, schooling, health); psychosocial: well-being. Housing,
    /// necessities and education can also be economic (a workshop, stock,
    /// an adult's training), medical care psychosocial (mental health care).
    pub fn dimensions(self) -> &'static [Dimension] {
        use Dimension::*;
        match self {
            Category::Housing => &[Social, Economic],
            Category::DailyNecessities => &[Economic, Social],
            Category::BusinessStartup => &[Economic],
            Category::Education => &[Social, Economic],
            Category::VocationalTraining => &[Economic],
            Category::JobPlacement => &[Economic],
            Category::MedicalCare => &[Social, Psychosocial],
            Category::PsychosocialSupport => &[Psychosocial],
        }
    }
}

/// Records a money problem on `field` (its code from the error).
pub(super) fn add_money_error(inv: &mut Invalid, field: &str, e: MoneyError) {
    inv.add(field, e.code());
}

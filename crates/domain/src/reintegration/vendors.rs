//! Vendors the mission buys from in kind.

use super::category::*;
use crate::validation::{self, clean, Invalid};
use serde::{Deserialize, Serialize};

/// A local provider, as entered in a country's vendor registry.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "Miskolci Lakásszövetkezet", "country": "HU",
    "categories": ["housing"], "contact": "+36 46 555 0100"})))]
pub struct VendorInput {
    /// Required, up to 200 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(default)]
    pub country: Option<String>,
    /// What the vendor provides (category identifiers, at least one).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Phone, email or address.
    #[serde(default)]
    pub contact: Option<String>,
}

/// A checked vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vendor {
    pub name: String,
    pub country: String,
    pub categories: Vec<Category>,
    pub contact: Option<String>,
}

/// Checks a vendor: a name, a country code, at least one known category.
pub fn validate_vendor(i: &VendorInput) -> Result<Vendor, Invalid> {
    let mut inv = Invalid::default();
    validation::text(&mut inv, "name", i.name.as_deref(), true, 200);
    let country = clean(i.country.as_deref()).map(|c| c.to_uppercase());
    match country.as_deref() {
        None => inv.add("country", "required"),
        Some(c) if !validation::is_country_code(c) => inv.add("country", "invalid-country"),
        Some(_) => {}
    }
    let mut categories = Vec::new();
    for c in i.categories.iter().map(|c| c.trim()) {
        match Category::parse(c) {
            Some(c) if !categories.contains(&c) => categories.push(c),
            Some(_) => {}
            None => inv.add("categories", "invalid-choice"),
        }
    }
    if i.categories.is_empty() {
        inv.add("categories", "required");
    }
    validation::text(&mut inv, "contact", i.contact.as_deref(), false, 500);
    inv.into_result()?;
    Ok(Vendor {
        name: clean(i.name.as_deref()).unwrap_or_default(),
        country: country.unwrap_or_default(),
        categories,
        contact: clean(i.contact.as_deref()),
    })
}

/// Whether `vendor` may supply a purchase of `category` for a case returning
/// to `country_of_return` (field `vendor`: `vendor-inactive`,
/// `vendor-other-country`, `vendor-category`).
pub fn check_vendor_for_purchase(
    vendor: &Vendor,
    active: bool,
    country_of_return: &str,
    category: Category,
) -> Result<(), Invalid> {
    let mut inv = Invalid::default();
    if !active {
        inv.add("vendor", "vendor-inactive");
    } else if !vendor.country.eq_ignore_ascii_case(country_of_return) {
        inv.add("vendor", "vendor-other-country");
    } else if !vendor.categories.contains(&category) {
        inv.add("vendor", "vendor-category");
    }
    inv.into_result()
}

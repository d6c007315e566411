//! Makes a case's letters: gathers what each letter shows from the store (as
//! the actor, so scope and restrictions apply), renders it with
//! `homeward-letters` off the async runtime, and keeps it with its hash and
//! the case version it was made from.

use homeward_letters::{LetterData, LetterKind, Segment, Traveller};
use homeward_store::{cases, letters, referrals, travel, Actor, Error, Store};
use uuid::Uuid;

/// The languages a letter can be asked for: English, French, then the
/// languages the traveller's letters are translated into.
pub fn languages(kind: LetterKind) -> &'static [&'static str] {
    homeward_letters::languages(kind)
}

fn airport_name(code: &str) -> String {
    homeward_domain::airports::by_iata(code)
        .map(|a| format!("{}, {}", a.name, a.city))
        .unwrap_or_else(|| code.to_string())
}

/// Everything a letter of this case may show, read as `actor`.
/// Amounts are written the way `lang` writes them.
pub async fn data(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    lang: &str,
) -> Result<LetterData, Error> {
    let c = cases::get(store, actor, case_id).await?;
    let itineraries = travel::list(store, actor, case_id).await?;
    // The flight the letter is about: the one to fly, else the one flown.
    let it = itineraries
        .iter()
        .find(|i| i.status == "booked")
        .or_else(|| itineraries.iter().find(|i| i.status == "departed"));
    let evaluation = referrals::latest_evaluation(store, actor, case_id)
        .await
        .ok()
        .flatten();
    let found = homeward_store::programmes::by_code(store, &c.summary.programme_code)
        .await
        .ok();
    // The letter's dates are the programme office's days.
    let office = found
        .as_ref()
        .map(|p| p.tz())
        .unwrap_or(homeward_domain::programme::DEFAULT_TIME_ZONE);
    // The office's place: its zone's city ("America/Toronto" → "Toronto").
    let office_place = found.as_ref().and_then(|p| {
        p.time_zone
            .rsplit('/')
            .next()
            .map(|city| city.replace('_', " "))
    });
    let authority = found.as_ref().map(|p| p.referring_authority.written());
    let host_country = found.as_ref().map(|p| p.host_country.clone());
    let letterhead = found.as_ref().and_then(|p| p.letterhead.clone());
    let signatory = found.as_ref().and_then(|p| p.signatory.clone());
    let programme = found
        .map(|p| p.name)
        .unwrap_or_else(|| c.summary.programme_code.clone());
    // The declaration's scan is restricted; its date is all the letter needs.
    let declared = homeward_store::attachments::list(store, actor, case_id)
        .await
        .ok()
        .and_then(|all| all.into_iter().find(|a| a.kind == "declaration"))
        .map(|a| {
            a.uploaded_at
                .with_timezone(&office)
                .date_naive()
                .to_string()
        });
    let travellers = c
        .members
        .iter()
        .filter(|m| it.is_none_or(|i| i.travellers.iter().any(|t| t.person_id == m.person.id)))
        .map(|m| Traveller {
            name_latin: m.person.display_name.clone(),
            name_original: m.person.original_script_name.clone(),
            date_of_birth: m.person.date_of_birth.map(|d| d.to_string()),
            relationship: Some(m.relationship.clone()),
            document_number: m
                .person
                .contact
                .as_ref()
                .and_then(|k| k.passport_number.clone()),
            ticket_number: it.and_then(|i| {
                i.travellers
                    .iter()
                    .find(|t| t.person_id == m.person.id)
                    .and_then(|t| t.ticket_number.clone())
            }),
            special_assistance: Vec::new(),
        })
        .collect();
    let segments = it
        .map(|i| {
            i.segments
                .iter()
                .map(|s| Segment {
                    carrier: s.carrier.clone(),
                    flight_number: s.flight_number.clone(),
                    from_code: s.from.clone(),
                    from_name: airport_name(&s.from),
                    to_code: s.to.clone(),
                    to_name: airport_name(&s.to),
                    departs_local: format!("{} ({})", s.departs_local.replace('T', " "), s.from_tz),
                    arrives_local: format!("{} ({})", s.arrives_local.replace('T', " "), s.to_tz),
                })
                .collect()
        })
        .unwrap_or_default();
    let today = homeward_store::now().with_timezone(&office).date_naive();
    Ok(LetterData {
        case_number: c.summary.case_number.clone(),
        programme_name: programme,
        issued_on: today.to_string(),
        travellers,
        country_of_return: c.summary.country_of_return.clone(),
        destination_locality: c.summary.destination_locality.clone(),
        segments,
        booking_reference: it.and_then(|i| i.booking_reference.clone()),
        entitlement: evaluation.as_ref().and_then(|e| {
            match (e.amount_minor, e.currency.as_deref()) {
                (Some(a), Some(cur)) if e.eligible => Some(crate::i18n::money_in(a, cur, lang)),
                _ => None,
            }
        }),
        declaration_signed_on: declared,
        eligibility_rule_set: evaluation.map(|e| e.rule_set),
        departure_confirmed_at_utc: it
            .and_then(|i| i.departed_at)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
        departure_confirmed_by: it.and_then(|i| i.departure_confirmed_by.clone()),
        mission_contact: None,
        data_version: c.summary.version,
        office: office_place,
        authority,
        host_country,
        letterhead,
        signatory,
        returnee_page: None,
    })
}

/// The page's address as a QR code: an SVG document.
fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build(),
    )
}

/// Renders and stores a letter; refuses a kind the actor may not have.
pub async fn make(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    kind: &str,
    lang: &str,
    returnee_page_url: Option<String>,
) -> Result<letters::Letter, Error> {
    actor.require(
        homeward_domain::Resource::Letter,
        homeward_domain::Action::Create,
    )?;
    let Some(k) = LetterKind::parse(kind) else {
        let mut inv = homeward_domain::Invalid::default();
        inv.add("kind", "invalid-choice");
        return Err(inv.into());
    };
    if !languages(k).contains(&lang) {
        let mut inv = homeward_domain::Invalid::default();
        inv.add("lang", "invalid-choice");
        return Err(inv.into());
    }
    if !actor.role.may_read_letter(kind) {
        return Err(Error::Forbidden);
    }
    let mut d = data(store, actor, case_id, lang).await?;
    // The person's own papers tell them where their page is.
    if matches!(
        k,
        LetterKind::Application | LetterKind::ReintegrationCertificate
    ) {
        d.returnee_page = returnee_page_url.and_then(|url| {
            qr_svg(&url).map(|qr_svg| homeward_letters::ReturneePage { url, qr_svg })
        });
    }
    let version = d.data_version;
    let lang_owned = lang.to_string();
    let rendered =
        tokio::task::spawn_blocking(move || homeward_letters::render(k, &lang_owned, &d))
            .await
            .map_err(|e| Error::Io(format!("letter rendering stopped: {e}")))?
            .map_err(|e| {
                tracing::error!(error = %e, "letter failed to render");
                Error::Io("letter failed to render".into())
            })?;
    letters::save(
        store,
        actor,
        case_id,
        kind,
        rendered.lang,
        version,
        &rendered.pdf,
    )
    .await
}

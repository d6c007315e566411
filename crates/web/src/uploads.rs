//! Files in and out of the web layer: multipart forms read with their
//! limits (the upload pages and endpoints, and the rule document's upload),
//! and stored files sent back as downloads that browsers will not run.

use axum::extract::Multipart;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use homeward_store::attachments::Attachment;

/// Reads a multipart form: the text fields, and the file sent as
/// `file_field` (named as the client named it, or after the field), refusing
/// a file over `max` bytes or a text field over 10,000.
pub async fn read_multipart(
    m: Multipart,
    file_field: &str,
    max: usize,
) -> Result<
    (
        std::collections::HashMap<String, String>,
        Option<(String, Vec<u8>)>,
    ),
    (&'static str, StatusCode),
> {
    read_multipart_limited(m, file_field, max, 10_000).await
}

/// As [`read_multipart`], with text fields up to `max_text` bytes (a rule
/// document typed in a form is longer than any other field).
pub async fn read_multipart_limited(
    mut m: Multipart,
    file_field: &str,
    max: usize,
    max_text: usize,
) -> Result<
    (
        std::collections::HashMap<String, String>,
        Option<(String, Vec<u8>)>,
    ),
    (&'static str, StatusCode),
> {
    let mut fields = std::collections::HashMap::new();
    let mut file = None;
    let too_large = ("file-too-large", StatusCode::PAYLOAD_TOO_LARGE);
    let bad = ("bad-request", StatusCode::BAD_REQUEST);
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large),
            Err(_) => return Err(bad),
        };
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        if name == file_field {
            let fname = field.file_name().unwrap_or(file_field).to_string();
            let mut bytes = Vec::new();
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(c)) => {
                        if bytes.len() + c.len() > max {
                            return Err(too_large);
                        }
                        bytes.extend_from_slice(&c);
                    }
                    Ok(None) => break,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large),
                    Err(_) => return Err(bad),
                }
            }
            file = Some((fname, bytes));
        } else {
            let text = field.text().await.map_err(|_| bad)?;
            if text.len() > max_text {
                return Err(bad);
            }
            fields.insert(name, text);
        }
    }
    Ok((fields, file))
}

/// A file download that browsers will not run or sniff.
pub fn file_response(a: &Attachment, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        a.file_name.replace(
            |c: char| !c.is_ascii_alphanumeric() && !".-_ ".contains(c),
            "_"
        ),
        percent_encoding::utf8_percent_encode(&a.file_name, percent_encoding::NON_ALPHANUMERIC)
    );
    (
        [
            (header::CONTENT_TYPE, a.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

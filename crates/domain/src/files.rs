//! The names uploaded files are kept and served under.
//!
//! A name is what a person reads before opening a file, so it must not lie
//! about the content: the extension is the one of the type detected from the
//! bytes (a PDF named `scan.hta` is served as `scan.pdf`), and characters
//! that change how the rest reads (bidirectional overrides such as U+202E,
//! zero-width and other format characters, controls) are removed, so
//! `scan\u{202e}fdp.exe` cannot display as `scanexe.pdf`.

/// Longest name kept, in characters (the extension included).
pub const MAX_CHARS: usize = 200;
/// Largest file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Content types accepted, as detected from the bytes.
pub const TYPES: [&str; 3] = ["application/pdf", "image/png", "image/jpeg"];

/// Checks an upload for `field`: present, at most [`MAX_BYTES`], and a PDF,
/// PNG or JPEG by its bytes (the name is not asked). Returns the detected
/// content type. Field errors: `required`, `file-too-large`, `file-type`.
pub fn check_upload(field: &str, bytes: &[u8]) -> Result<&'static str, crate::Invalid> {
    if bytes.is_empty() {
        return Err(crate::Invalid::one(field, "required"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(crate::Invalid::one(field, "file-too-large"));
    }
    infer::get(bytes)
        .map(|t| t.mime_type())
        .and_then(|m| TYPES.iter().copied().find(|t| *t == m))
        .ok_or_else(|| crate::Invalid::one(field, "file-type"))
}

/// The extension files of `content_type` are served with, and the others
/// accepted as the same type; `None` for a type Homeward does not keep.
fn extensions(content_type: &str) -> Option<(&'static str, &'static [&'static str])> {
    match content_type {
        "application/pdf" => Some(("pdf", &[])),
        "image/png" => Some(("png", &[])),
        "image/jpeg" => Some(("jpg", &["jpeg"])),
        _ => None,
    }
}

/// Whether `c` may stay in a file name: not a control (C0, C1), not a
/// format character that reorders or hides text, not a quote or angle
/// bracket, not a path separator.
fn kept(c: char) -> bool {
    !c.is_control()
        && !matches!(c,
            '"' | '<' | '>' | '/' | '\\'
            // Bidirectional marks, embeddings, overrides and isolates.
            | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            // Zero-width and invisible format characters.
            | '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
            // Line and paragraph separators.
            | '\u{2028}' | '\u{2029}'
            // Interlinear annotation and tag characters.
            | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

/// The name to keep and serve for an upload called `original` whose bytes
/// were detected as `content_type`: the last path component, without
/// characters that hide or reorder text, at most [`MAX_CHARS`], ending in
/// the detected type's extension (kept when it already does, case aside;
/// otherwise the wrong extension is replaced). `fallback` names a file whose
/// name has nothing left.
pub fn served_name(original: &str, content_type: &str, fallback: &str) -> String {
    let base = original.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|&c| kept(c)).collect();
    let cleaned = cleaned.trim().trim_matches('.').trim();
    let Some((ext, also)) = extensions(content_type) else {
        return truncate(
            if cleaned.is_empty() {
                fallback
            } else {
                cleaned
            },
            MAX_CHARS,
        );
    };
    let (stem, current) = match cleaned.rsplit_once('.') {
        Some((stem, e)) if !stem.trim().is_empty() => (stem.trim_end(), Some(e)),
        _ => (cleaned, None),
    };
    let stem = if stem.is_empty() { fallback } else { stem };
    let ext = match current {
        Some(e)
            if e.eq_ignore_ascii_case(ext) || also.iter().any(|a| e.eq_ignore_ascii_case(a)) =>
        {
            e.to_string()
        }
        _ => ext.to_string(),
    };
    let room = MAX_CHARS.saturating_sub(ext.chars().count() + 1);
    format!("{}.{ext}", truncate(stem, room).trim_end())
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &str = "application/pdf";

    #[test]
    fn uploads_are_checked_by_their_bytes() {
        let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
        assert_eq!(check_upload("file", pdf), Ok("application/pdf"));
        assert_eq!(check_upload("file", png), Ok("image/png"));
        let code = |r: Result<&str, crate::Invalid>| {
            r.unwrap_err().for_field("receipt").map(str::to_string)
        };
        assert_eq!(
            code(check_upload("receipt", b"")).as_deref(),
            Some("required")
        );
        assert_eq!(
            code(check_upload("receipt", b"#!/bin/sh\nrm -rf /\n")).as_deref(),
            Some("file-type")
        );
        assert_eq!(
            code(check_upload("receipt", b"MZ\x90\0\x03\0\0\0")).as_deref(),
            Some("file-type")
        );
        let big = [pdf.as_slice(), &vec![b' '; MAX_BYTES]].concat();
        assert_eq!(
            code(check_upload("receipt", &big)).as_deref(),
            Some("file-too-large")
        );
    }

    #[test]
    fn the_extension_is_the_detected_types() {
        assert_eq!(
            served_name("passport-scan.hta", PDF, "x"),
            "passport-scan.pdf"
        );
        assert_eq!(
            served_name("passport-scan.PDF", PDF, "x"),
            "passport-scan.PDF"
        );
        assert_eq!(served_name("photo.jpeg", "image/jpeg", "x"), "photo.jpeg");
        assert_eq!(served_name("photo.png", "image/jpeg", "x"), "photo.jpg");
        assert_eq!(served_name("declaration", PDF, "x"), "declaration.pdf");
        assert_eq!(served_name("archive.tar.exe", PDF, "x"), "archive.tar.pdf");
        assert_eq!(served_name(".hta", PDF, "attachment"), "hta.pdf");
        assert_eq!(served_name("", PDF, "attachment"), "attachment.pdf");
        assert_eq!(served_name("...", "image/png", "receipt"), "receipt.png");
    }

    #[test]
    fn names_that_lie_in_display_are_cleaned() {
        // Displays as "scanexe.pdf" with the override left in.
        assert_eq!(served_name("scan\u{202e}fdp.exe", PDF, "x"), "scanfdp.pdf");
        assert_eq!(
            served_name("a\u{2066}b\u{2069}\u{200b}c.pdf", PDF, "x"),
            "abc.pdf"
        );
        assert_eq!(
            served_name("line\nbreak\r\t.pdf", PDF, "x"),
            "linebreak.pdf"
        );
        assert_eq!(served_name("c1\u{85}\u{9b}.pdf", PDF, "x"), "c1.pdf");
        assert_eq!(served_name("../../etc/passwd", PDF, "x"), "passwd.pdf");
        assert_eq!(served_name("C:\\scans\\decl<1>.pdf", PDF, "x"), "decl1.pdf");
        assert_eq!(
            served_name("\u{202e}\u{200f}", PDF, "attachment"),
            "attachment.pdf"
        );
        // Other scripts stay.
        assert_eq!(
            served_name("Ágnes útlevele.pdf", PDF, "x"),
            "Ágnes útlevele.pdf"
        );
        assert_eq!(served_name("جواز.pdf", PDF, "x"), "جواز.pdf");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let n = served_name(&format!("{}.exe", "a".repeat(500)), PDF, "x");
        assert_eq!(n.chars().count(), MAX_CHARS);
        assert!(n.ends_with("a.pdf"));
    }

    proptest::proptest! {
        #[test]
        fn any_name_ends_in_the_type_and_hides_nothing(name in ".{0,300}") {
            for (t, ext) in [(PDF, ".pdf"), ("image/png", ".png")] {
                let n = served_name(&name, t, "attachment");
                let lower = n.to_lowercase();
                proptest::prop_assert!(lower.ends_with(ext), "{:?}", n);
                proptest::prop_assert!(n.chars().all(kept), "{:?}", n);
                proptest::prop_assert!(n.chars().count() <= MAX_CHARS);
            }
        }
    }
}

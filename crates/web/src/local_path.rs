//! Where a redirect may go after sign-in, re-authentication or a language
//! switch: only a path on this origin (no open redirects).
//!
//! Browsers drop tabs and newlines from a `Location` and read a backslash as
//! a slash, so `/<TAB>/evil.example` would leave the site. Rather than
//! list what is dangerous, this accepts only visible ASCII, resolves the
//! value as a URL against this origin the way a browser does, and keeps it
//! only if it stays here.

use url::{Position, Url};

/// Longest `next` kept; longer values fall back to `/`.
const MAX_LEN: usize = 2048;

/// `candidate` if it is a path on this origin, otherwise `/`.
pub fn local_path<S: AsRef<str>>(candidate: Option<S>) -> String {
    candidate
        .and_then(|c| checked(c.as_ref()))
        .unwrap_or_else(|| "/".into())
}

fn checked(n: &str) -> Option<String> {
    // Visible ASCII only: no control characters (C0, C1, DEL), no
    // whitespace, no Unicode lookalikes of `/`, and no backslash.
    if n.len() > MAX_LEN || !n.bytes().all(|b| b.is_ascii_graphic()) || n.contains('\\') {
        return None;
    }
    if !n.starts_with('/') || n.starts_with("//") {
        return None;
    }
    let base = Url::parse("http://homeward.invalid/").ok()?;
    let resolved = base.join(n).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    // Dot segments can collapse into `//host` (`/.//evil`): check what a
    // browser would request, not what was typed.
    let path = &resolved[Position::BeforePath..];
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::local_path;

    fn p(s: &str) -> String {
        local_path(Some(s))
    }

    #[test]
    fn local_paths_are_kept() {
        assert_eq!(p("/cases/1?tab=travel#x"), "/cases/1?tab=travel#x");
        assert_eq!(p("/"), "/");
        assert_eq!(p("/search?q=Garc%C3%ADa"), "/search?q=Garc%C3%ADa");
        // Encoded slashes stay a path on this origin.
        assert_eq!(p("/%2F%2Fevil.example"), "/%2F%2Fevil.example");
        assert_eq!(local_path(None::<&str>), "/");
    }

    #[test]
    fn anything_that_could_leave_the_site_falls_back() {
        let mut hostile: Vec<String> = [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https:evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "/.//evil.example",
            "/..//evil.example",
            "/a/../..//evil.example",
            "",
            "/\u{2215}evil.example",
            "/\u{FF0F}evil.example",
            "/\u{2044}evil.example",
            "/\u{29F8}evil.example",
            "/ /evil.example",
            "/\u{a0}/evil.example",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every C0 control, DEL and every C1 control before the second slash.
        for c in (0u32..0x20).chain(0x7f..0xa0) {
            let c = char::from_u32(c).unwrap();
            hostile.push(format!("/{c}/evil.example"));
            hostile.push(format!("{c}//evil.example"));
        }
        hostile.push("/".repeat(3000));
        for h in hostile {
            assert_eq!(p(&h), "/", "{h:?}");
        }
    }
}

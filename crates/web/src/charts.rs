//! Charts drawn on the server as SVG: no script, no CDN, readable with
//! JavaScript off and by screen readers.
//!
//! Each chart is an `<svg role="img">` labelled by its `<title>` and a
//! `<desc>` that reads every value out (the text alternative); each bar has
//! its own `<title>`, which browsers show on hover. Colours come from
//! classes in `assets/app.css`, not inline styles. Pages put the same
//! numbers in a real table next to the chart.

use crate::form::esc;

/// Width of the drawing (the SVG scales to its container).
const WIDTH: f64 = 640.0;
/// Left column for the labels.
const LABEL_W: f64 = 210.0;
/// Room after the longest bar for its value.
const VALUE_W: f64 = 110.0;
/// The longest bar.
const BAR_AREA: f64 = WIDTH - LABEL_W - VALUE_W;
const ROW_H: f64 = 28.0;
const BAR_H: f64 = 18.0;
/// Labels longer than this are shortened in the drawing (the bar's title,
/// the description and the table keep them whole).
const LABEL_MAX: usize = 24;
/// Colour classes `chart-c0` … `chart-c7`.
const COLOURS: usize = 8;

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    /// `None` draws no bar (a suppressed or unknown figure); `shown` still
    /// says why.
    pub value: Option<f64>,
    /// The value as the reader sees it ("12", "38.0 %", "<5").
    pub shown: String,
}

impl Bar {
    /// A bar for a whole number, or a suppressed one shown as `hidden`.
    pub fn count(label: String, n: Option<i64>, hidden: &str) -> Bar {
        Bar {
            label,
            value: n.map(|n| n as f64),
            shown: n
                .map(|n| n.to_string())
                .unwrap_or_else(|| hidden.to_string()),
        }
    }
}

fn short(s: &str) -> String {
    if s.chars().count() <= LABEL_MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(LABEL_MAX - 1).collect();
        t.push('…');
        t
    }
}

fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// A horizontal bar chart. `id` must be unique on the page (it names the
/// title and description); `scale` fixes the value of a full bar (1 for
/// scores, 100 for percentages), otherwise the largest value fills it.
/// With no bars, the chart says `empty` instead.
pub fn bar_chart(id: &str, title: &str, bars: &[Bar], scale: Option<f64>, empty: &str) -> String {
    let max = scale.unwrap_or_else(|| bars.iter().filter_map(|b| b.value).fold(0.0_f64, f64::max));
    let rows = bars.len().max(1) as f64;
    let height = rows * ROW_H + 8.0;
    let desc = if bars.is_empty() {
        empty.to_string()
    } else {
        bars.iter()
            .map(|b| format!("{}: {}", b.label, b.shown))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let id = esc(id);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{id}\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\">\
         <title id=\"{id}-title\">{t}</title><desc id=\"{id}-desc\">{d}</desc>",
        w = num(WIDTH),
        h = num(height),
        t = esc(title),
        d = esc(&desc),
    );
    if bars.is_empty() {
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" class=\"chart-empty\">{}</text>",
            num(LABEL_W),
            num(ROW_H * 0.5 + 9.0),
            esc(empty)
        ));
    }
    for (i, b) in bars.iter().enumerate() {
        let y = i as f64 * ROW_H + 4.0;
        let text_y = y + BAR_H / 2.0 + 5.0;
        let width = match b.value {
            Some(v) if max > 0.0 && v > 0.0 => (v / max).min(1.0) * BAR_AREA,
            _ => 0.0,
        };
        out.push_str(&format!(
            "<g class=\"chart-row\"><title>{label}: {shown}</title>\
             <text x=\"{lx}\" y=\"{ty}\" class=\"chart-label\" text-anchor=\"end\">{short}</text>",
            label = esc(&b.label),
            shown = esc(&b.shown),
            lx = num(LABEL_W - 8.0),
            ty = num(text_y),
            short = esc(&short(&b.label)),
        ));
        if b.value.is_some() {
            out.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" class=\"chart-bar chart-c{c}\"/>",
                x = num(LABEL_W),
                y = num(y),
                w = num(width),
                h = num(BAR_H),
                c = i % COLOURS,
            ));
        }
        out.push_str(&format!(
            "<text x=\"{vx}\" y=\"{ty}\" class=\"chart-value\">{shown}</text></g>",
            vx = num(LABEL_W + width + 6.0),
            ty = num(text_y),
            shown = esc(&b.shown),
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(svg: &str) -> Vec<f64> {
        svg.split("<rect ")
            .skip(1)
            .map(|r| {
                let w = &r[r.find("width=\"").unwrap() + 7..];
                w[..w.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    fn bar(label: &str, v: f64) -> Bar {
        Bar {
            label: label.into(),
            value: Some(v),
            shown: num(v),
        }
    }

    #[test]
    fn bars_are_proportional_to_their_values() {
        let svg = bar_chart(
            "c",
            "Cases",
            &[bar("a", 10.0), bar("b", 5.0), bar("c", 0.0)],
            None,
            "none",
        );
        assert_eq!(widths(&svg), vec![BAR_AREA, BAR_AREA / 2.0, 0.0]);
        let svg = bar_chart("c", "Scores", &[bar("a", 0.25)], Some(1.0), "none");
        assert_eq!(widths(&svg), vec![BAR_AREA / 4.0]);
        // A value over the fixed scale stops at the full bar.
        let svg = bar_chart("c", "Share", &[bar("a", 150.0)], Some(100.0), "none");
        assert_eq!(widths(&svg), vec![BAR_AREA]);
    }

    #[test]
    fn the_chart_is_an_image_with_a_text_alternative() {
        let svg = bar_chart(
            "dash-x",
            "Departures",
            &[bar("HU", 3.0), bar("CO", 1.0)],
            None,
            "none",
        );
        assert!(svg.starts_with("<svg "));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-labelledby=\"dash-x-title dash-x-desc\""));
        assert!(svg.contains("<title id=\"dash-x-title\">Departures</title>"));
        assert!(svg.contains("<desc id=\"dash-x-desc\">HU: 3; CO: 1</desc>"));
        // Each bar's own title is the hover text.
        assert!(svg.contains("<title>HU: 3</title>"));
        assert!(svg.contains("class=\"chart-bar chart-c1\""));
        assert!(!svg.contains("style="));
        assert!(!svg.contains("<script"));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn text_is_escaped() {
        let b = Bar {
            label: "<script>alert(1)</script> & \"x\"".into(),
            value: Some(1.0),
            shown: "1".into(),
        };
        let svg = bar_chart("a\"b", "T<i>", &[b], None, "none");
        assert!(!svg.contains("<script>"));
        assert!(!svg.contains("<i>"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
        assert!(svg.contains("id=\"a&quot;b\""));
    }

    #[test]
    fn nothing_to_draw_says_so() {
        let svg = bar_chart("e", "Spending", &[], None, "Nothing in this period.");
        assert!(!svg.contains("<rect"));
        assert!(svg.contains("class=\"chart-empty\">Nothing in this period.</text>"));
        assert!(svg.contains("<desc id=\"e-desc\">Nothing in this period.</desc>"));
        // All zeros: no division by zero, no bar length.
        let svg = bar_chart("z", "Z", &[bar("a", 0.0), bar("b", 0.0)], None, "none");
        assert_eq!(widths(&svg), vec![0.0, 0.0]);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn suppressed_figures_draw_no_bar_but_say_so() {
        let bars = [
            Bar::count("referred".into(), None, "<5"),
            Bar::count("departed".into(), Some(12), "<5"),
        ];
        let svg = bar_chart("s", "Statuses", &bars, None, "none");
        assert_eq!(widths(&svg), vec![BAR_AREA]);
        assert!(svg.contains("<title>referred: &lt;5</title>"));
        assert!(svg.contains("referred: &lt;5; departed: 12"));
    }

    #[test]
    fn long_labels_are_shortened_in_the_drawing_only() {
        let long = "A very long label that does not fit in the column";
        let svg = bar_chart("l", "L", &[bar(long, 1.0)], None, "none");
        assert!(svg.contains(&format!("<title>{long}: 1</title>")));
        assert!(svg.contains("A very long label that …</text>"));
    }
}

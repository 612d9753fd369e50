//! SVG charts drawn at build time, exposed to templates as Tera functions:
//!
//! - `sparkline(values=[…], title="…", last=30)`: a small trend line;
//! - `bar_chart(values=[…], title="…", first_label="…", last_label="…", last=30, unit="…")`: a
//!   column chart with its peak and its ends labelled, each bar titled with its value and unit;
//! - `hbar_chart(data={label: value | {field: value}}, field="…", title="…", format="percent"
//!   | "signed" | "number", width=600)`: labelled horizontal bars, diverging around zero for
//!   `signed`; a narrower `width` keeps the text legible in a sidebar.
//!
//! Every chart carries a `<title>` and a `<desc>` listing its figures, and `role="img"` with the
//! same text as its accessible name, so a screen reader or a text browser gets the numbers.
//! Charts are drawn at their own width and only ever shrink (`style.css`), so their text keeps
//! its size on wide screens; on phones the stylesheet sets larger text in drawing units
//! ([`PHONE_LABEL_SIZE`]) except in charts narrower than [`NARROW`], which shrink little. All
//! text is XML-escaped here; templates print the result with `| safe`. The filter
//! `platform_name` turns a platform key (`hackernews`) into its display name (`Hacker News`);
//! `thousands` prints 23792 as `23,792`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr;

use serde_json::Value;

use crate::model::Source;
use crate::site::escape_xml;
use crate::text::thousands;

type Args = HashMap<String, Value>;

/// Charts narrower than this (in drawing units) get the class `narrow`: they are shown near
/// their own size on every screen, so the phone text size does not apply to them.
pub const NARROW: f64 = 400.0;
/// Label and value text size of `hbar_chart`, in drawing units, as `style.css` sets it.
const LABEL_SIZE: f64 = 14.0;
/// The same on phones (`style.css`, `max-width: 600px`), for charts not [`NARROW`].
pub const PHONE_LABEL_SIZE: f64 = 21.0;
/// A generous average advance of a sans-serif character, in ems.
const CHAR_EM: f64 = 0.62;

/// Adds the chart functions and the `platform_name` filter to `tera`.
pub fn register(tera: &mut tera::Tera) {
    tera.register_function("sparkline", |args: &Args| {
        Ok(Value::String(sparkline(args)?))
    });
    tera.register_function("bar_chart", |args: &Args| {
        Ok(Value::String(bar_chart(args)?))
    });
    tera.register_function("hbar_chart", |args: &Args| {
        Ok(Value::String(hbar_chart(args)?))
    });
    tera.register_filter(
        "platform_name",
        |value: &Value, _: &HashMap<String, Value>| {
            let key = value.as_str().unwrap_or_default();
            Ok(Value::String(platform_name(key)))
        },
    );
    tera.register_filter("thousands", |value: &Value, _: &HashMap<String, Value>| {
        Ok(Value::String(thousands(
            value.as_f64().unwrap_or(0.0) as i64
        )))
    });
}

/// `Hacker News` for `hackernews`; unknown keys are returned unchanged.
pub fn platform_name(key: &str) -> String {
    Source::from_str(key)
        .map(|s| s.display_name().to_string())
        .unwrap_or_else(|_| key.to_string())
}

fn numbers(args: &Args, function: &str) -> tera::Result<Vec<f64>> {
    let values = args
        .get("values")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{function}: missing array argument `values`"))?;
    let mut numbers: Vec<f64> = values.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect();
    if let Some(last) = args.get("last").and_then(Value::as_u64) {
        let skip = numbers.len().saturating_sub(last as usize);
        numbers.drain(..skip);
    }
    Ok(numbers)
}

fn text_arg<'a>(args: &'a Args, name: &str) -> &'a str {
    args.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// Shortest readable form: integers without decimals, others with one.
fn figure(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// The opening tag with the accessible name, then `<title>` and `<desc>`.
fn open_svg(class: &str, width: f64, height: f64, title: &str, desc: &str) -> String {
    let label = escape_xml(&format!("{title}. {desc}"));
    let narrow = if width < NARROW { " narrow" } else { "" };
    format!(
        "<svg class=\"chart {class}{narrow}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{label}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title><desc>{}</desc>",
        escape_xml(title),
        escape_xml(desc)
    )
}

fn sparkline(args: &Args) -> tera::Result<String> {
    let values = numbers(args, "sparkline")?;
    let title = text_arg(args, "title");
    let (width, height, pad) = (200.0, 36.0, 3.0);
    let max = values.iter().cloned().fold(0.0_f64, f64::max).max(1.0);
    let step = (width - 2.0 * pad) / (values.len().max(2) - 1) as f64;
    let point = |i: usize, v: f64| {
        (
            pad + i as f64 * step,
            height - pad - v / max * (height - 2.0 * pad),
        )
    };
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let (x, y) = point(i, v);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let desc = format!(
        "{} values, oldest first: {}",
        values.len(),
        values
            .iter()
            .map(|v| figure(*v))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut svg = open_svg("sparkline", width, height, title, &desc);
    if let Some(first) = points.first() {
        let (x_last, y_last) = point(values.len() - 1, *values.last().unwrap_or(&0.0));
        let base = height - pad;
        let _ = write!(
            svg,
            "<path class=\"area\" d=\"M{first} L{} L{x_last:.1},{base} L{pad},{base} Z\"/><polyline class=\"line\" points=\"{}\"/><circle class=\"dot\" cx=\"{x_last:.1}\" cy=\"{y_last:.1}\" r=\"2.5\"/>",
            points.join(" L"),
            points.join(" "),
        );
    }
    svg.push_str("</svg>");
    Ok(svg)
}

fn bar_chart(args: &Args) -> tera::Result<String> {
    let values = numbers(args, "bar_chart")?;
    let title = text_arg(args, "title");
    let (first_label, last_label) = (text_arg(args, "first_label"), text_arg(args, "last_label"));
    let unit = text_arg(args, "unit");
    let (width, height, top, bottom, left) = (600.0, 200.0, 22.0, 24.0, 4.0);
    let max = values.iter().cloned().fold(0.0_f64, f64::max);
    let scale = max.max(1.0);
    let slot = (width - left) / values.len().max(1) as f64;
    let plot = height - top - bottom;
    let total: f64 = values.iter().sum();
    let desc = format!(
        "{} bars from {first_label} to {last_label}; peak {}, total {}: {}",
        values.len(),
        figure(max),
        figure(total),
        values
            .iter()
            .map(|v| figure(*v))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut svg = open_svg("bars", width, height, title, &desc);
    let base = height - bottom;
    let _ = write!(
        svg,
        "<line class=\"grid\" x1=\"{left}\" x2=\"{width}\" y1=\"{top}\" y2=\"{top}\"/><text class=\"tick\" x=\"{left}\" y=\"{}\">{} max</text>",
        top - 6.0,
        figure(max)
    );
    for (i, &v) in values.iter().enumerate() {
        let h = (v / scale * plot).max(if v > 0.0 { 1.5 } else { 0.0 });
        let x = left + i as f64 * slot + slot * 0.12;
        let _ = write!(
            svg,
            "<rect class=\"bar{}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{}</title></rect>",
            if i + 1 == values.len() { " now" } else { "" },
            base - h,
            slot * 0.76,
            escape_xml(format!("{} {unit}", figure(v)).trim_end())
        );
    }
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{left}\" x2=\"{width}\" y1=\"{base}\" y2=\"{base}\"/><text class=\"tick\" x=\"{left}\" y=\"{}\">{}</text><text class=\"tick end\" x=\"{width}\" y=\"{}\" text-anchor=\"end\">{}</text></svg>",
        height - 6.0,
        escape_xml(first_label),
        height - 6.0,
        escape_xml(last_label)
    );
    Ok(svg)
}

/// How `hbar_chart` prints values and scales bars.
#[derive(Clone, Copy, PartialEq)]
enum Format {
    /// Shares 0…1 shown as percentages.
    Percent,
    /// −1…1 around a zero line (sentiment).
    Signed,
    /// Counts against the largest.
    Number,
}

fn hbar_chart(args: &Args) -> tera::Result<String> {
    let title = text_arg(args, "title");
    let field = text_arg(args, "field");
    let format = match text_arg(args, "format") {
        "percent" => Format::Percent,
        "signed" => Format::Signed,
        "" | "number" => Format::Number,
        other => return Err(format!("hbar_chart: unknown format `{other}`").into()),
    };
    let data = args
        .get("data")
        .and_then(Value::as_object)
        .ok_or("hbar_chart: missing object argument `data`")?;
    let mut rows: Vec<(String, f64)> = data
        .iter()
        .map(|(label, value)| {
            let v = if field.is_empty() {
                value
            } else {
                &value[field]
            };
            (platform_name(label), v.as_f64().unwrap_or(0.0))
        })
        .collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let show = |v: f64| match format {
        Format::Percent => format!("{:.0}%", v * 100.0),
        Format::Signed => format!("{v:+.2}"),
        Format::Number => figure(v),
    };
    let width = args.get("width").and_then(Value::as_f64).unwrap_or(600.0);
    // Room for the longest label and value at the largest size they are shown at.
    let size = if width < NARROW {
        LABEL_SIZE
    } else {
        PHONE_LABEL_SIZE
    };
    let room = |chars: Option<usize>| chars.unwrap_or(0) as f64 * CHAR_EM * size + 8.0;
    let label_w = room(rows.iter().map(|r| r.0.chars().count()).max()).max(width * 0.3);
    let value_w = room(rows.iter().map(|r| show(r.1).chars().count()).max()).max(56.0);
    let row = 30.0;
    let height = (rows.len().max(1) as f64) * row + 6.0;
    let plot = width - label_w - value_w;
    let max = rows.iter().map(|r| r.1.abs()).fold(0.0_f64, f64::max);
    let scale = match format {
        Format::Percent => 1.0,
        Format::Signed => max.max(0.25),
        Format::Number => max.max(1.0),
    };
    let desc = if rows.is_empty() {
        "No data.".to_string()
    } else {
        rows.iter()
            .map(|(l, v)| format!("{l} {}", show(*v)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut svg = open_svg("hbars", width, height, title, &desc);
    let zero = if format == Format::Signed {
        label_w + plot / 2.0
    } else {
        label_w
    };
    let span = if format == Format::Signed {
        plot / 2.0
    } else {
        plot
    };
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = i as f64 * row + 4.0;
        let w = (v.abs() / scale * span).max(if *v != 0.0 { 1.5 } else { 0.0 });
        let x = if *v < 0.0 { zero - w } else { zero };
        let tone = match (format, *v) {
            (Format::Signed, v) if v >= 0.05 => " pos",
            (Format::Signed, v) if v <= -0.05 => " neg",
            _ => "",
        };
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"0\" y=\"{:.1}\">{}</text><rect class=\"bar{tone}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\"/><text class=\"value\" x=\"{width}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            y + row * 0.55,
            escape_xml(label),
            row * 0.62,
            y + row * 0.55,
            escape_xml(&show(*v))
        );
    }
    if format == Format::Signed {
        let _ = write!(
            svg,
            "<line class=\"axis\" x1=\"{zero}\" x2=\"{zero}\" y1=\"0\" y2=\"{height}\"/>"
        );
    }
    svg.push_str("</svg>");
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(value: Value) -> Args {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn sparkline_has_title_desc_and_one_point_per_value() {
        let svg = sparkline(&args(
            json!({"values": [1, 2, 3, 9], "title": "A <b> beat"}),
        ))
        .unwrap();
        assert!(svg.contains("<title>A &lt;b&gt; beat</title>"), "{svg}");
        assert!(
            svg.contains("<desc>4 values, oldest first: 1, 2, 3, 9</desc>"),
            "{svg}"
        );
        let polyline = svg.split("points=\"").nth(1).unwrap();
        assert_eq!(polyline.split('"').next().unwrap().split(' ').count(), 4);
    }

    #[test]
    fn bar_chart_keeps_the_last_values() {
        let values: Vec<u32> = (0..90).collect();
        let svg = bar_chart(&args(
            json!({"values": values, "last": 30, "title": "Daily"}),
        ))
        .unwrap();
        assert_eq!(svg.matches("<rect").count(), 30);
        assert!(svg.contains("peak 89"), "{svg}");
    }

    #[test]
    fn hbar_chart_names_platforms_and_diverges_around_zero() {
        let data = json!({"hackernews": {"sentiment": -0.4}, "reddit": {"sentiment": 0.2}});
        let svg = hbar_chart(&args(
            json!({"data": data, "field": "sentiment", "format": "signed", "title": "Tone"}),
        ))
        .unwrap();
        assert!(svg.contains(">Hacker News<"), "{svg}");
        assert!(svg.contains("Reddit +0.20; Hacker News -0.40"), "{svg}");
        assert!(svg.contains("class=\"bar neg\""), "{svg}");
        assert!(hbar_chart(&args(json!({"data": {}, "format": "pie"}))).is_err());
    }
}

//! Markdown to HTML, plain text, summary and reading time in one pass over pulldown-cmark's events.
//!
//! Content may come from the synthesis stage (LLM output), so it is treated as untrusted: raw
//! HTML in Markdown is rendered as visible text, never as markup, and links or images with a
//! scheme other than http, https or mailto are neutralised. Root-relative links (`/about/`) are
//! rewritten under the site's base URL so they also work when the site lives in a sub-folder.

use std::collections::HashMap;

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::text::{shorten, slugify};

/// Words a reader reads per minute, for `reading_time`.
const WORDS_PER_MINUTE: usize = 200;
/// Longest summary, in characters, before it is cut at a word boundary.
const SUMMARY_CHARS: usize = 300;
/// Marks the end of the summary when an author wants to choose it.
const MORE_MARKER: &str = "<!-- more -->";

/// Everything derived from a Markdown body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub html: String,
    /// Readable plain text (for `index.txt` twins and word counts).
    pub text: String,
    /// Plain-text summary: the text before `<!-- more -->`, else the first paragraph.
    pub summary: String,
    pub word_count: usize,
    /// Minutes, at least 1 for a non-empty body.
    pub reading_time: usize,
    /// Ids given to headings, in document order.
    pub heading_ids: Vec<String>,
    /// Link and image targets (after rewriting) with the file line they were written on.
    pub links: Vec<Link>,
}

/// One link in the source, for the link checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub dest: String,
    pub line: usize,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders `body`, whose first line is line `first_line` of its file, for a site at `base_url`.
pub fn render(body: &str, first_line: usize, base_url: &str) -> Rendered {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_at = |offset: usize| first_line + line_starts.partition_point(|&s| s <= offset) - 1;

    let mut links = Vec::new();
    // Every link and image target is made safe and noted with its line, for `check`.
    let mut checked = |dest_url, offset| {
        let dest_url = safe_destination(dest_url, base_url);
        links.push(Link {
            dest: dest_url.to_string(),
            line: line_at(offset),
        });
        dest_url
    };
    let mut more_at = None;
    let mut events = Vec::new();
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        let event = match event {
            Event::Html(raw) | Event::InlineHtml(raw) if raw.trim() == MORE_MARKER => {
                more_at = Some(events.len());
                continue;
            }
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            Event::Start(Tag::HtmlBlock) => Event::Start(Tag::Paragraph),
            Event::End(TagEnd::HtmlBlock) => Event::End(TagEnd::Paragraph),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: checked(dest_url, range.start),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Image {
                link_type,
                dest_url: checked(dest_url, range.start),
                title,
                id,
            }),
            other => other,
        };
        events.push(event);
    }
    let heading_ids = assign_heading_ids(&mut events);
    let (text, first_paragraph) = plain_text(&events);
    let summary_source = match more_at {
        Some(index) => plain_text(&events[..index]).0,
        None => first_paragraph,
    };
    let word_count = text.split_whitespace().count();
    let mut html_out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut html_out, events.into_iter());
    Rendered {
        html: html_out,
        summary: shorten(summary_source.trim(), SUMMARY_CHARS),
        reading_time: word_count.div_ceil(WORDS_PER_MINUTE),
        word_count,
        text,
        heading_ids,
        links,
    }
}

/// Allows http(s), mailto, fragments and relative links; rewrites root-relative ones.
fn safe_destination<'a>(dest: CowStr<'a>, base_url: &str) -> CowStr<'a> {
    if dest.starts_with('/') && !dest.starts_with("//") {
        return format!("{base_url}{}", &dest[1..]).into();
    }
    let scheme_end = dest.find(':');
    let path_start = dest.find(['/', '?', '#']).unwrap_or(dest.len());
    match scheme_end {
        Some(end) if end < path_start => {
            let scheme = dest[..end].to_ascii_lowercase();
            if matches!(scheme.as_str(), "http" | "https" | "mailto") {
                dest
            } else {
                CowStr::Borrowed("#")
            }
        }
        _ => dest,
    }
}

/// Gives every heading an id (its slug, `-1`, `-2`… when repeated) unless the author set one
/// with `{#id}`, and returns the ids in order.
fn assign_heading_ids(events: &mut [Event<'_>]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut ids = Vec::new();
    for start in 0..events.len() {
        let Event::Start(Tag::Heading { id, .. }) = &events[start] else {
            continue;
        };
        let id = match id {
            Some(explicit) => explicit.to_string(),
            None => {
                let title = heading_text(&events[start + 1..]);
                let base = match slugify(&title) {
                    slug if slug.is_empty() => "section".to_string(),
                    slug => slug,
                };
                let count = seen.entry(base.clone()).or_insert(0);
                let id = if *count == 0 {
                    base
                } else {
                    format!("{base}-{count}")
                };
                *count += 1;
                id
            }
        };
        if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[start] {
            *slot = Some(id.clone().into());
        }
        ids.push(id);
    }
    ids
}

fn heading_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::End(TagEnd::Heading(_)) => break,
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            _ => {}
        }
    }
    text
}

/// The whole text with paragraph breaks and link targets, and the first paragraph alone.
fn plain_text(events: &[Event<'_>]) -> (String, String) {
    let mut text = String::new();
    let mut first_paragraph: Option<String> = None;
    let mut paragraph_start = None;
    let mut link_targets = Vec::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak => text.push(' '),
            Event::HardBreak => text.push('\n'),
            Event::FootnoteReference(name) => {
                text.push('[');
                text.push_str(name);
                text.push(']');
            }
            // Numbered like the references that cite them: "[1] Reddit, …".
            Event::Start(Tag::FootnoteDefinition(name)) => {
                text.push('[');
                text.push_str(name);
                text.push_str("] ");
            }
            Event::Start(Tag::Paragraph) => paragraph_start = Some(text.len()),
            Event::Start(Tag::Item) => text.push_str("- "),
            Event::Start(Tag::Link { dest_url, .. }) => link_targets.push(dest_url.clone()),
            Event::End(TagEnd::Link) => {
                if let Some(dest) = link_targets.pop() {
                    if dest.starts_with("http") {
                        text.push_str(&format!(" <{dest}>"));
                    }
                }
            }
            Event::End(TagEnd::Paragraph) => {
                if let (None, Some(start)) = (&first_paragraph, paragraph_start) {
                    first_paragraph = Some(text[start..].to_string());
                }
                text.push_str("\n\n");
            }
            Event::End(
                TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::List(_) | TagEnd::Table,
            ) => text.push_str("\n\n"),
            Event::End(TagEnd::Item | TagEnd::TableHead | TagEnd::TableRow) => text.push('\n'),
            Event::End(TagEnd::TableCell) => text.push_str(" | "),
            _ => {}
        }
    }
    let tidy = tidy_blank_lines(&text);
    (tidy, first_paragraph.unwrap_or_default())
}

/// Collapses runs of blank lines and trailing spaces so the text twin reads cleanly.
fn tidy_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://example.org/sub/";

    #[test]
    fn extensions_are_on() {
        let r = render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ \"quoted\"\n\nNote[^1]\n\n[^1]: Foot.\n",
            1,
            BASE,
        );
        assert!(r.html.contains("<table>"), "{}", r.html);
        assert!(r.html.contains("<del>old</del>"), "{}", r.html);
        assert!(r.html.contains("“quoted”"), "{}", r.html);
        assert!(r.html.contains("footnote-definition"), "{}", r.html);
    }

    #[test]
    fn headings_get_unique_ids_and_explicit_ids_win() {
        let r = render(
            "# Hello World\n\n## Hello World\n\n## Custom {#mine}\n",
            1,
            BASE,
        );
        assert_eq!(r.heading_ids, vec!["hello-world", "hello-world-1", "mine"]);
        assert!(r.html.contains("<h2 id=\"hello-world-1\">"), "{}", r.html);
    }

    #[test]
    fn raw_html_is_shown_not_executed() {
        let r = render(
            "Hi <script>alert(1)</script>\n\n<div onclick=x>block</div>\n",
            1,
            BASE,
        );
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;"), "{}", r.html);
        assert!(!r.html.contains("<div"), "{}", r.html);
    }

    #[test]
    fn links_are_rewritten_located_and_sanitised() {
        let r = render(
            "intro\n\n[a](/about/#team) and [b](javascript:alert(1))\n[c](https://x.org/)\n",
            10,
            BASE,
        );
        assert!(
            r.html
                .contains("href=\"https://example.org/sub/about/#team\""),
            "{}",
            r.html
        );
        assert!(r.html.contains("href=\"#\""), "{}", r.html);
        let lines: Vec<usize> = r.links.iter().map(|l| l.line).collect();
        assert_eq!(lines, vec![12, 12, 13]);
    }

    #[test]
    fn text_summary_and_reading_time() {
        let body = "First *para* here.\n\n## Next\n\n- one\n- two\n\nSee [x](https://x.org/).\n";
        let r = render(body, 1, BASE);
        assert_eq!(r.summary, "First para here.");
        assert_eq!(
            r.text,
            "First para here.\n\nNext\n\n- one\n- two\n\nSee x <https://x.org/>.\n"
        );
        assert_eq!(r.reading_time, 1);
        let r = render(
            "Intro one.\n\nIntro two.\n\n<!-- more -->\n\nRest.\n",
            1,
            BASE,
        );
        assert_eq!(r.summary, "Intro one.\n\nIntro two.");
        assert!(!r.html.contains("more"), "{}", r.html);
    }
}

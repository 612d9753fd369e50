//! `zeitgeist check`: loads everything, renders every output into memory and checks each
//! internal link and embed (`href` and `src` to the site, root-relative or relative) and
//! `#anchor` against the
//! produced files and their element ids. Broken links written in Markdown are reported at their
//! content file and line; links that templates produce at the rendered file and line, once per
//! distinct target.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::config::{ConfigError, Paths};
use crate::site::content::Document;
use crate::site::output::Memory;
use crate::site::slug::index_file;
use crate::site::{line_of, BuildOptions, CheckReport, Problem, Site};

/// Runs the whole check.
pub fn run(paths: &Paths, options: &BuildOptions) -> Result<CheckReport, ConfigError> {
    let (site, mut problems) = Site::load_partial(paths, options)?;
    let mut report = CheckReport::default();
    if let Some(site) = site {
        let memory = Memory::default();
        if let Err(render_problems) = site.render(&memory, None) {
            problems.extend(render_problems);
        }
        let files = memory.snapshot();
        report.files_rendered = files.len();
        let (link_problems, checked) = check_links(&site, &files);
        problems.extend(link_problems);
        report.links_checked = checked;
    }
    report.problems = crate::site::condense(problems);
    Ok(report)
}

/// Checks every `href` of every HTML file; returns the problems and the number of links checked.
pub fn check_links(site: &Site, files: &BTreeMap<String, Arc<Vec<u8>>>) -> (Vec<Problem>, usize) {
    let html: BTreeMap<&str, &str> = files
        .iter()
        .filter(|(path, _)| path.ends_with(".html"))
        .filter_map(|(path, bytes)| Some((path.as_str(), std::str::from_utf8(bytes).ok()?)))
        .collect();
    let ids: HashMap<&str, HashSet<String>> = html
        .iter()
        .map(|(path, text)| {
            (
                *path,
                attribute_values(text, "id")
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
            )
        })
        .collect();
    let sources = source_documents(site);
    let base_path = base_path(&site.base_url);
    let output_dir = site
        .options
        .output
        .clone()
        .unwrap_or_else(|| site.config.output_dir.clone());

    let mut problems = Vec::new();
    let mut template_breaks: BTreeMap<String, (Problem, usize)> = BTreeMap::new();
    let mut checked = 0;
    for (path, text) in &html {
        let targets = attribute_values(text, "href")
            .into_iter()
            .chain(attribute_values(text, "src"));
        for (offset, href) in targets {
            let Some((target, fragment)) = resolve(&site.base_url, base_path, path, &href) else {
                continue;
            };
            checked += 1;
            let Some(message) = broken(files, &ids, &target, fragment.as_deref(), &href) else {
                continue;
            };
            let written = sources.get(*path).and_then(|doc| {
                doc.body
                    .links
                    .iter()
                    .find(|l| l.dest == href)
                    .map(|l| (doc, l.line))
            });
            match written {
                Some((doc, line)) => problems.push(Problem::new(&doc.file, Some(line), message)),
                None => {
                    let problem = Problem::new(
                        output_dir.join(path),
                        Some(line_of(text, offset)),
                        format!("{message} (from a template)"),
                    );
                    template_breaks
                        .entry(href.clone())
                        .or_insert((problem, 0))
                        .1 += 1;
                }
            }
        }
    }
    for (_, (mut problem, count)) in template_breaks {
        if count > 1 {
            problem
                .message
                .push_str(&format!(", and on {} other page(s)", count - 1));
        }
        problems.push(problem);
    }
    (problems, checked)
}

/// Why a resolved link is broken, if it is.
fn broken(
    files: &BTreeMap<String, Arc<Vec<u8>>>,
    ids: &HashMap<&str, HashSet<String>>,
    target: &str,
    fragment: Option<&str>,
    href: &str,
) -> Option<String> {
    let candidates = if target.is_empty() || target.ends_with('/') {
        vec![format!("{target}index.html")]
    } else {
        vec![target.to_string(), format!("{target}/index.html")]
    };
    let Some(file) = candidates.into_iter().find(|c| files.contains_key(c)) else {
        return Some(format!(
            "broken link `{href}`: no page or file at /{target}"
        ));
    };
    match (fragment, ids.get(file.as_str())) {
        (Some(fragment), Some(file_ids))
            if !fragment.is_empty() && !file_ids.contains(fragment) =>
        {
            Some(format!(
                "broken anchor `{href}`: /{file} has no element with id `{fragment}`"
            ))
        }
        _ => None,
    }
}

/// The content document each page's or section's first HTML file was rendered from.
fn source_documents(site: &Site) -> HashMap<String, &Document> {
    let content = &site.content;
    let pages = content.pages.iter().map(|p| p.as_ref());
    let sections = content.sections.iter().map(|s| s.doc.as_ref());
    pages
        .chain(sections)
        .map(|doc| (index_file(&doc.path, "index.html"), doc))
        .collect()
}

/// `https://x.org/sub/` → `/sub/`.
fn base_path(base_url: &str) -> &str {
    let after_scheme = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
}

/// An internal link as (output path without fragment, fragment); `None` for external links.
fn resolve(
    base_url: &str,
    base_path: &str,
    current: &str,
    href: &str,
) -> Option<(String, Option<String>)> {
    let (without_fragment, fragment) = match href.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment.to_string())),
        None => (href, None),
    };
    let without_query = without_fragment.split('?').next().unwrap_or_default();
    let target = if let Some(rest) = without_query.strip_prefix(base_url) {
        rest.to_string()
    } else if without_query.starts_with("//") || without_query.contains(':') {
        return None;
    } else if let Some(absolute) = without_query.strip_prefix('/') {
        // A root-relative link only reaches the site if it stays under the base URL's path.
        match format!("/{absolute}").strip_prefix(base_path) {
            Some(rest) => rest.to_string(),
            None => format!("../{absolute}"),
        }
    } else if without_query.is_empty() {
        current.to_string()
    } else {
        let dir = current.rfind('/').map_or("", |i| &current[..=i]);
        normalise(&format!("{dir}{without_query}"))
    };
    Some((target, fragment))
}

/// Resolves `.` and `..` segments; a path escaping the root keeps a leading `../`.
fn normalise(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "." => {}
            ".." if segments.last().is_some_and(|s| *s != "..") => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    segments.join("/")
}

/// Every `name="value"` attribute in `html`, with the byte offset of the value, unescaped.
fn attribute_values(html: &str, name: &str) -> Vec<(usize, String)> {
    let marker = format!(" {name}=\"");
    html.match_indices(&marker)
        .filter_map(|(at, _)| {
            let start = at + marker.len();
            let end = html[start..].find('"')? + start;
            Some((start, unescape(&html[start..end])))
        })
        .collect()
}

/// Undoes the HTML escaping templates apply (`&#x2F;` for `/`, `&amp;`…).
fn unescape(value: &str) -> String {
    if !value.contains('&') {
        return value.to_string();
    }
    value
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_internal_links_only() {
        let base = "https://x.org/sub/";
        let r = |current: &str, href: &str| resolve(base, "/sub/", current, href);
        assert_eq!(
            r("a/index.html", "https://x.org/sub/b/#top"),
            Some(("b/".into(), Some("top".into())))
        );
        assert_eq!(r("a/index.html", "/sub/b/"), Some(("b/".into(), None)));
        assert_eq!(
            r("a/index.html", "/other/"),
            Some(("../other/".into(), None))
        );
        assert_eq!(
            r("a/index.html", "#x"),
            Some(("a/index.html".into(), Some("x".into())))
        );
        assert_eq!(
            r("a/index.html", "../c/d.png"),
            Some(("c/d.png".into(), None))
        );
        assert_eq!(r("a/index.html", "https://elsewhere.org/"), None);
        assert_eq!(r("a/index.html", "mailto:x@y.org"), None);
    }

    #[test]
    fn finds_attributes_and_unescapes() {
        let html = "<a href=\"https:&#x2F;&#x2F;x.org&#x2F;?a=1&amp;b=2\">x</a>\n<h2 id=\"intro\">";
        let hrefs: Vec<_> = attribute_values(html, "href")
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(hrefs, vec!["https://x.org/?a=1&b=2"]);
        let ids: Vec<_> = attribute_values(html, "id")
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(ids, vec!["intro"]);
    }
}

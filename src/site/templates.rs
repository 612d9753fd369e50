//! Tera templates: the theme's `templates/`, overridden file by file by the site's `templates/`,
//! and the lookup functions templates call instead of receiving the whole site in every context
//! (`get_page`, `get_section`, `get_taxonomy`, `get_taxonomy_url`, `load_data`). The functions
//! share the loaded site through an `Arc`, so a page's context holds only that page.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::error::Error as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use tera::{Context, Tera};
use walkdir::WalkDir;

use crate::config::{Config, Paths};
use crate::site::content::Content;
use crate::site::data::DataFiles;
use crate::site::{display_path, read_text, slash_path, Problem};
use crate::text::slugify;

/// The compiled templates and where each came from (for error messages).
pub struct Templates {
    pub tera: Tera,
    /// Template name → (file shown in messages, source text).
    pub sources: BTreeMap<String, (PathBuf, String)>,
    /// Templates that call a lookup function, directly or through a template they extend,
    /// include or import: their output may change with any content file.
    lookup_users: HashSet<String>,
}

impl Templates {
    /// Reads the theme's templates, then the site's (which replace same-named ones), and
    /// compiles them. Syntax errors are reported for every template, not just the first.
    pub fn load(paths: &Paths, config: &Config) -> Result<Templates, Vec<Problem>> {
        let theme_dir = paths.theme(config).join("templates");
        let site_dir = paths.templates();
        if !theme_dir.is_dir() && !site_dir.is_dir() {
            let shown = display_path(&paths.root, &theme_dir);
            return Err(vec![Problem::new(
                "site.toml",
                None,
                format!(
                    "theme `{}` has no templates: {} is missing",
                    config.theme,
                    shown.display()
                ),
            )]);
        }
        let mut sources = BTreeMap::new();
        let mut problems = Vec::new();
        for dir in [theme_dir, site_dir] {
            read_templates(&paths.root, &dir, &mut sources, &mut problems);
        }
        for (name, (file, text)) in &sources {
            if let Err(e) = tera::Template::new(name, None, text) {
                problems.push(template_problem(file, &e));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".htm", ".xml"]);
        crate::site::charts::register(&mut tera);
        crate::site::records::register(&mut tera);
        register_filters(&mut tera);
        let all = sources
            .iter()
            .map(|(name, (_, text))| (name.as_str(), text.as_str()));
        if let Err(e) = tera.add_raw_templates(all) {
            // Each template parsed alone, so this is about inheritance (a missing parent…).
            return Err(vec![Problem::new(
                display_path(&paths.root, &paths.theme(config).join("templates")),
                None,
                error_chain(&e),
            )]);
        }
        let lookup_users = lookup_users(&sources);
        Ok(Templates {
            tera,
            sources,
            lookup_users,
        })
    }

    /// Whether a template of that name exists.
    pub fn has(&self, name: &str) -> bool {
        self.sources.contains_key(name)
    }

    /// Whether template `name` may read pages other than the one it renders.
    pub fn uses_lookups(&self, name: &str) -> bool {
        self.lookup_users.contains(name)
    }

    /// Whether any template reads the site through lookup functions.
    pub fn uses_any_lookups(&self) -> bool {
        !self.lookup_users.is_empty()
    }

    /// Makes the loaded site and data reachable from templates through lookup functions.
    pub fn register_lookups(&mut self, content: Arc<Content>, data: Arc<DataFiles>) {
        let lookup = Lookup { content, data };
        self.tera
            .register_function("get_page", lookup.clone().function(Lookup::get_page));
        self.tera
            .register_function("get_section", lookup.clone().function(Lookup::get_section));
        self.tera.register_function(
            "get_taxonomy",
            lookup.clone().function(Lookup::get_taxonomy),
        );
        self.tera.register_function(
            "get_taxonomy_url",
            lookup.clone().function(Lookup::get_taxonomy_url),
        );
        self.tera
            .register_function("load_data", lookup.function(Lookup::load_data));
    }

    /// Renders template `name`; `rendering` names the content being rendered for messages.
    pub fn render(
        &self,
        name: &str,
        context: &Context,
        rendering: &str,
    ) -> Result<String, Problem> {
        self.tera.render(name, context).map_err(|e| {
            let message = error_chain(&e);
            let failing = quoted_after(&message, "while rendering '").unwrap_or(name);
            let (file, line) = self.locate(failing, &message).unwrap_or_else(|| {
                let (file, _) = self
                    .sources
                    .get(failing)
                    .or_else(|| self.sources.get(name))
                    .cloned()
                    .unwrap_or_default();
                (file, None)
            });
            Problem::new(
                file,
                line,
                format!(
                    "template error: {message}{}{rendering})",
                    crate::site::WHILE_RENDERING
                ),
            )
        })
    }
}

impl Templates {
    /// Where a render error of template `name` comes from: the first line naming what failed
    /// (the variable in backticks, the filter or function of a failed call) in `name` or in the
    /// templates it includes, extends or imports (macros last: they are most often shared),
    /// nearest first. Tera names only the template it was asked to render, not the partial.
    fn locate(&self, name: &str, message: &str) -> Option<(PathBuf, Option<usize>)> {
        let call = |kind: &str| quoted_after(message, &format!("{kind} call '"));
        let pattern = if let Some(filter) = call("Filter") {
            format!(r"\|\s*{}\b", regex::escape(filter))
        } else if let Some(function) = call("Function") {
            format!(r"\b{}\s*\(", regex::escape(function))
        } else {
            regex::escape(backticked(message)?)
        };
        let needle = regex::Regex::new(&pattern).ok()?;
        let referenced =
            regex::Regex::new(r#"\{%-?\s*(include|extends|import)\s+["']([^"']+)["']"#)
                .expect("valid pattern");
        let mut queue = std::collections::VecDeque::from([name.to_string()]);
        let mut seen = HashSet::new();
        while let Some(current) = queue.pop_front() {
            if !seen.insert(current.clone()) {
                continue;
            }
            let Some((file, text)) = self.sources.get(&current) else {
                continue;
            };
            if let Some(found) = needle.find(text) {
                return Some((
                    file.clone(),
                    Some(crate::site::line_of(text, found.start())),
                ));
            }
            let mut next: Vec<(bool, String)> = referenced
                .captures_iter(text)
                .map(|c| (&c[1] == "import", c[2].to_string()))
                .collect();
            next.sort_by_key(|(import, _)| *import);
            queue.extend(next.into_iter().map(|(_, name)| name));
        }
        None
    }
}

/// `json_ld`: a value as JSON safe inside `<script>` (no `<`, `>` or `&` that could end it);
/// `code_spans`: plain text escaped for HTML, with `` `code` `` spans as `<code>` (for the
/// OpenAPI document's descriptions); `shorten(length=N)`: text cut at a word, with `…`; `exp`:
/// `e` to the power of a number (an event's lift is a natural log: `lift | exp` is "times the
/// usual").
fn register_filters(tera: &mut Tera) {
    tera.register_filter("exp", |value: &Value, _: &HashMap<String, Value>| {
        let x = value.as_f64().ok_or("exp: needs a number")?;
        Ok(serde_json::json!(x.exp()))
    });
    tera.register_filter("shorten", |value: &Value, args: &HashMap<String, Value>| {
        let length = args
            .get("length")
            .and_then(Value::as_u64)
            .ok_or("shorten: needs `length`, a number of characters")?;
        let text = value.as_str().unwrap_or_default();
        Ok(Value::String(crate::text::shorten(text, length as usize)))
    });
    tera.register_filter("json_ld", |value: &Value, _: &HashMap<String, Value>| {
        let json = serde_json::to_string(value).map_err(|e| e.to_string())?;
        let safe = json
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        Ok(Value::String(safe))
    });
    tera.register_filter("code_spans", |value: &Value, _: &HashMap<String, Value>| {
        let text = crate::site::escape_xml(value.as_str().unwrap_or_default());
        let mut html = String::with_capacity(text.len());
        for (i, part) in text.split('`').enumerate() {
            match i % 2 {
                1 => html.push_str(&format!("<code>{part}</code>")),
                _ => html.push_str(part),
            }
        }
        Ok(Value::String(html))
    });
}

/// Names of the lookup functions, for [`lookup_users`].
const LOOKUPS: [&str; 4] = ["get_page", "get_section", "get_taxonomy", "load_data"];

/// Templates that call a lookup, then (until nothing changes) templates that name one of those
/// in quotes — a conservative reading of `extends`, `include` and `import`.
fn lookup_users(sources: &BTreeMap<String, (PathBuf, String)>) -> HashSet<String> {
    let mut users: HashSet<String> = sources
        .iter()
        .filter(|(_, (_, text))| LOOKUPS.iter().any(|f| text.contains(f)))
        .map(|(n, _)| n.clone())
        .collect();
    loop {
        let found: Vec<String> = sources
            .iter()
            .filter(|(name, (_, text))| {
                !users.contains(*name)
                    && users.iter().any(|u| {
                        text.contains(&format!("\"{u}\"")) || text.contains(&format!("'{u}'"))
                    })
            })
            .map(|(name, _)| name.clone())
            .collect();
        if found.is_empty() {
            return users;
        }
        users.extend(found);
    }
}

fn read_templates(
    root: &Path,
    dir: &Path,
    sources: &mut BTreeMap<String, (PathBuf, String)>,
    problems: &mut Vec<Problem>,
) {
    for entry in WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let shown = display_path(root, path);
        match read_text(path, &shown) {
            Ok(text) => {
                sources.insert(slash_path(dir, path), (shown, text));
            }
            Err(problem) => problems.push(problem),
        }
    }
}

/// A syntax error, located from the parser's `--> line:column` marker.
fn template_problem(file: &Path, error: &tera::Error) -> Problem {
    let message = error_chain(error);
    let line = message
        .split("--> ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.trim().parse().ok());
    let first_line = message.lines().next().unwrap_or_default().to_string();
    let detail = message
        .lines()
        .filter(|l| l.trim_start().starts_with('='))
        .map(|l| l.trim_start_matches([' ', '=']))
        .collect::<Vec<_>>()
        .join("; ");
    Problem::new(
        file,
        line,
        format!(
            "template syntax error: {}",
            if detail.is_empty() {
                first_line
            } else {
                detail
            }
        ),
    )
}

/// Tera nests the useful part of its errors in `source()`; join the chain into one line.
fn error_chain(error: &tera::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}

fn quoted_after<'a>(message: &'a str, marker: &str) -> Option<&'a str> {
    let start = message.rfind(marker)? + marker.len();
    message[start..].split('\'').next()
}

fn backticked(message: &str) -> Option<&str> {
    message.split('`').nth(1).filter(|s| !s.is_empty())
}

/// The site as the lookup functions see it.
#[derive(Clone)]
struct Lookup {
    content: Arc<Content>,
    data: Arc<DataFiles>,
}

type Args = HashMap<String, Value>;

impl Lookup {
    fn function(self, call: fn(&Lookup, &Args) -> tera::Result<Value>) -> impl tera::Function {
        move |args: &Args| call(&self, args)
    }

    fn get_page(&self, args: &Args) -> tera::Result<Value> {
        let path = string_arg(args, "get_page", "path")?;
        let index = self
            .content
            .page_index(path)
            .ok_or_else(|| format!("get_page: no published page `{path}` under content/"))?;
        Ok(self.content.pages[index].value.clone())
    }

    /// `get_section(path="posts/_index.md", pages=true, limit=10, required=false)`: the
    /// section, with its pages' summaries when `pages` is true (the first `limit` of them, in
    /// the section's order, when given: a story page listing a few others must not copy
    /// thousands); `null` when it is missing and not required.
    fn get_section(&self, args: &Args) -> tera::Result<Value> {
        let path = string_arg(args, "get_section", "path")?;
        let Some(index) = self.content.section_by_rel.get(path) else {
            if args.get("required").and_then(Value::as_bool) == Some(false) {
                return Ok(Value::Null);
            }
            return Err(format!("get_section: no section `{path}` under content/").into());
        };
        let section = &self.content.sections[*index];
        let mut value = section.value.clone();
        if args.get("pages").and_then(Value::as_bool).unwrap_or(false) {
            let limit = args
                .get("limit")
                .and_then(Value::as_u64)
                .map_or(usize::MAX, |n| n as usize);
            let pages: Vec<&Value> = section
                .pages
                .iter()
                .take(limit)
                .map(|&p| &self.content.pages[p].summary)
                .collect();
            value["pages"] = json!(pages);
        }
        Ok(value)
    }

    fn get_taxonomy(&self, args: &Args) -> tera::Result<Value> {
        let kind = string_arg(args, "get_taxonomy", "kind")?;
        let taxonomy = self
            .content
            .taxonomies
            .iter()
            .find(|t| t.name == kind)
            .ok_or_else(|| format!("get_taxonomy: no taxonomy `{kind}` in site.toml"))?;
        Ok(taxonomy.value.clone())
    }

    fn get_taxonomy_url(&self, args: &Args) -> tera::Result<Value> {
        let kind = string_arg(args, "get_taxonomy_url", "kind")?;
        let name = string_arg(args, "get_taxonomy_url", "name")?;
        let taxonomy = self
            .content
            .taxonomies
            .iter()
            .find(|t| t.name == kind)
            .ok_or_else(|| format!("get_taxonomy_url: no taxonomy `{kind}` in site.toml"))?;
        let slug = slugify(name);
        let term = taxonomy
            .terms
            .iter()
            .find(|t| t.slug == slug)
            .ok_or_else(|| format!("get_taxonomy_url: no term `{name}` in `{kind}`"))?;
        Ok(Value::String(term.permalink.clone()))
    }

    /// `load_data(path="analysis/beats.json", required=false)`: a file under `data/`; `null`
    /// when it is missing and not required (pages can render before analysis ever ran).
    fn load_data(&self, args: &Args) -> tera::Result<Value> {
        let path = string_arg(args, "load_data", "path")?;
        match self.data.get(path) {
            Some(value) => Ok(value.clone()),
            None if args.get("required").and_then(Value::as_bool) == Some(false) => Ok(Value::Null),
            None => Err(format!("load_data: no data file `{path}` under data/").into()),
        }
    }
}

fn string_arg<'a>(args: &'a Args, function: &str, name: &str) -> tera::Result<&'a str> {
    args.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{function}: missing string argument `{name}`").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn site_with(templates: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in templates {
            let path = dir.path().join("themes/t/templates").join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    fn config() -> Config {
        Config::parse(
            Path::new("site.toml"),
            "title = \"Z\"\nbase_url = \"https://x.org/\"\ntheme = \"t\"\n",
        )
        .unwrap()
    }

    #[test]
    fn json_ld_cannot_end_its_script_and_code_spans_are_escaped() {
        let dir = site_with(&[(
            "x.html",
            "<script>{{ title | json_ld | safe }}</script><p>{{ text | code_spans | safe }}</p>",
        )]);
        let templates = Templates::load(&Paths::new(dir.path()), &config()).unwrap();
        let mut context = Context::new();
        context.insert("title", "</script><b>&");
        context.insert("text", "use `a<b>` & <i>");
        let html = templates.render("x.html", &context, "x").unwrap();
        assert_eq!(
            html,
            "<script>\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026\"</script>\
             <p>use <code>a&lt;b&gt;</code> &amp; &lt;i&gt;</p>"
        );
    }

    #[test]
    fn shorten_cuts_at_a_word() {
        let dir = site_with(&[("x.html", "{{ title | shorten(length=12) }}")]);
        let templates = Templates::load(&Paths::new(dir.path()), &config()).unwrap();
        let mut context = Context::new();
        context.insert("title", "Anthropic announces Claude");
        let html = templates.render("x.html", &context, "x").unwrap();
        assert_eq!(html, "Anthropic…");
    }

    #[test]
    fn site_templates_override_theme_ones() {
        let dir = site_with(&[("page.html", "theme"), ("base.html", "base")]);
        fs::create_dir_all(dir.path().join("templates")).unwrap();
        fs::write(dir.path().join("templates/page.html"), "site").unwrap();
        let templates = Templates::load(&Paths::new(dir.path()), &config()).unwrap();
        assert_eq!(
            templates.render("page.html", &Context::new(), "x").unwrap(),
            "site"
        );
        assert_eq!(
            templates.render("base.html", &Context::new(), "x").unwrap(),
            "base"
        );
    }

    #[test]
    fn lookup_use_propagates_through_extends() {
        let dir = site_with(&[
            (
                "base.html",
                "{% set d = load_data(path='x.json', required=false) %}{% block c %}{% endblock %}",
            ),
            (
                "page.html",
                "{% extends \"base.html\" %}{% block c %}p{% endblock %}",
            ),
            ("plain.html", "plain"),
        ]);
        let templates = Templates::load(&Paths::new(dir.path()), &config()).unwrap();
        assert!(templates.uses_lookups("base.html"));
        assert!(templates.uses_lookups("page.html"));
        assert!(!templates.uses_lookups("plain.html"));
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let dir = site_with(&[
            ("ok.html", "fine"),
            ("page.html", "<p>\n{{ page.title \n</p>\n{% if %}"),
        ]);
        let problems = Templates::load(&Paths::new(dir.path()), &config())
            .err()
            .unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].file,
            PathBuf::from("themes/t/templates/page.html")
        );
        assert!(problems[0].line.is_some(), "{problems:?}");
    }

    #[test]
    fn render_errors_locate_the_variable() {
        let dir = site_with(&[("page.html", "<h1>\n{{ page.titel }}\n</h1>")]);
        let templates = Templates::load(&Paths::new(dir.path()), &config()).unwrap();
        let mut context = Context::new();
        context.insert("page", &json!({"title": "x"}));
        let problem = templates
            .render("page.html", &context, "content/a.md")
            .unwrap_err();
        assert_eq!(problem.line, Some(2), "{problem}");
        assert!(problem.message.contains("page.titel"), "{problem}");
        assert!(problem.message.contains("content/a.md"), "{problem}");
    }
}

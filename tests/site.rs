//! Builds fixture sites (written into temp folders, using the real `themes/zeitgeist`) and
//! checks the produced files; breaks them in every way the issue lists and checks the message
//! and that the previous output survived.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{copy_tree, write};
use zeitgeist::config::Paths;
use zeitgeist::site::{self, BuildOptions};

const SITE_TOML: &str = r#"title = "Fixture"
description = "A site for tests."
base_url = "https://example.org/sub/"
paginate = 2
taxonomies = ["beats", "categories", "places"]

[[extra.menu]]
name = "About"
path = "about/"
"#;

/// A small site: home, about (with anchors), a paginated `posts` section with taxonomies, a data
/// file read by a site template, a static file.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/zeitgeist"),
        &root.join("themes/zeitgeist"),
    );
    write(root, "site.toml", SITE_TOML);
    write(
        root,
        "content/_index.md",
        "---\ntitle: Home\n---\nWelcome. Read [about us](/about/#who-we-are).\n",
    );
    write(
        root,
        "content/about.md",
        "---\ntitle: About\n---\n## Who we are\n\nPeople.\n\n## Who we are\n\nAgain, see [above](#who-we-are-1).\n",
    );
    write(
        root,
        "content/posts/_index.md",
        "---\ntitle: Posts\ndescription: Everything.\n---\nAll posts.\n",
    );
    for (n, (date, beats)) in [
        ("2024-01-01", "[chips]"),
        ("2024-02-01", "[chips, policy]"),
        ("2024-03-01", "[policy]"),
    ]
    .iter()
    .enumerate()
    {
        let text = format!(
            "---\ntitle: Post {n}\ndate: {date}\ntaxonomies:\n  beats: {beats}\n  places: [Zürich]\n---\n\
             First paragraph of post {n}, with a [link](/posts/post-{m}/).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
            m = (n + 1) % 3
        );
        write(root, &format!("content/posts/post-{n}.md"), &text);
    }
    write(
        root,
        "content/posts/draft.md",
        "---\ntitle: Secret\ndraft: true\ndate: 2024-04-01\n---\nNot yet.\n",
    );
    write(
        root,
        "content/posts/future.md",
        "---\ntitle: Future\ndate: 2030-01-01\n---\nLater.\n",
    );
    write(
        root,
        "data/analysis/beats.json",
        "{\"chips\": {\"label\": \"Chips and compute\"}}",
    );
    write(
        root,
        "data/snapshots/huge.json",
        "this is a record store, not template data",
    );
    write(root, "static/files/note.txt", "static file\n");
    write(
        root,
        "templates/taxonomy_term.html",
        "{% extends \"base.html\" %}{% block content %}{% set beats = load_data(path=\"analysis/beats.json\") %}\
         <h1>{{ term.name }}</h1><p class=\"label\">{% if beats[term.slug] %}{{ beats[term.slug].label }}{% endif %}</p>\
         {% include \"partials/listing.html\" %}{% endblock content %}",
    );
    write(
        root,
        "templates/index.html",
        "{% extends \"base.html\" %}{% block content %}{{ section.content | safe }}\
         {% set posts = get_section(path=\"posts/_index.md\", pages=true) %}\
         <p id=\"count\">{{ posts.pages | length }} posts, newest {{ posts.pages.0.title }}</p>\
         {% set about = get_page(path=\"about.md\") %}<p id=\"about\">{{ about.title }}: {{ about.reading_time }} min</p>\
         <a id=\"policy\" href=\"{{ get_taxonomy_url(kind=\"beats\", name=\"policy\") }}\">policy</a>\
         {% set beats = get_taxonomy(kind=\"beats\") %}<p id=\"beats\">{% for t in beats.terms %}{{ t.name }}={{ t.page_count }} {% endfor %}</p>\
         {% endblock content %}",
    );
    dir
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn build(root: &Path) -> site::BuildReport {
    site::build(&Paths::new(root), &BuildOptions::default()).unwrap()
}

fn read(root: &Path, rel: &str) -> String {
    fs::read_to_string(root.join("public").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn zeitgeist(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zeitgeist"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn builds_pages_listings_taxonomies_and_twins() {
    let dir = fixture();
    let root = dir.path();
    let report = build(root);
    assert_eq!(
        (report.pages, report.sections),
        (5, 2),
        "draft left out, future (no --as-of) kept"
    );

    let post = read(root, "posts/post-1/index.html");
    assert!(post.contains("<table>"), "{post}");
    assert!(
        post.contains("href=\"https://example.org/sub/posts/post-2/\""),
        "root-relative links go under base_url: {post}"
    );
    let about = read(root, "about/index.html");
    assert!(
        about.contains("id=\"who-we-are\"") && about.contains("id=\"who-we-are-1\""),
        "{about}"
    );

    // posts: 4 pages (3 + future) by 2 → two pagers, newest first.
    let first = read(root, "posts/index.html");
    let second = read(root, "posts/page/2/index.html");
    assert!(
        first.find("Future").unwrap() < first.find("Post 2").unwrap(),
        "{first}"
    );
    assert!(
        second.contains("Post 0") && second.contains("rel=\"prev\""),
        "{second}"
    );
    assert!(!root.join("public/posts/draft").exists());

    // Terms, their pagers, the data file through load_data, the taxonomy from site.toml.
    let chips = read(root, "beats/chips/index.html");
    assert!(chips.contains("Chips and compute"), "{chips}");
    assert!(read(root, "beats/policy/index.html").contains("Post 2"));
    assert!(read(root, "places/index.html").contains("Zürich"));
    assert!(root.join("public/places/zürich/index.html").exists());
    assert!(read(root, "categories/index.html").contains("Nothing is filed"));

    // Lookup functions give templates the rest of the site on demand.
    let home = read(root, "index.html");
    assert!(
        home.contains("<p id=\"count\">4 posts, newest Future</p>"),
        "{home}"
    );
    assert!(home.contains("<p id=\"about\">About: 1 min</p>"), "{home}");
    assert!(
        home.contains("https:&#x2F;&#x2F;example.org&#x2F;sub&#x2F;beats&#x2F;policy&#x2F;"),
        "{home}"
    );
    assert!(
        home.contains("<p id=\"beats\">chips=2 policy=2 </p>"),
        "{home}"
    );

    let twin = read(root, "posts/post-1/index.txt");
    assert!(twin.starts_with("Post 1\nURL: https://example.org/sub/posts/post-1/\nDate: 2024-02-01\n\nFirst paragraph"), "{twin}");
    assert_eq!(read(root, "files/note.txt"), "static file\n");
    assert!(read(root, "404.html").contains("Not found"));
    assert!(read(root, "robots.txt").contains("Sitemap: https://example.org/sub/sitemap.xml"));
}

#[test]
fn every_page_has_a_twin_and_is_in_the_sitemap() {
    let dir = fixture();
    let root = dir.path();
    build(root);
    let sitemap = read(root, "sitemap.xml");
    let listed: Vec<&str> = sitemap
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
        .collect();
    let pages: Vec<String> = snapshot(&root.join("public"))
        .keys()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p.ends_with("index.html"))
        .collect();
    assert_eq!(listed.len(), pages.len(), "{listed:?}\n{pages:?}");
    for page in &pages {
        let url = format!(
            "https://example.org/sub/{}",
            page.trim_end_matches("index.html")
        );
        assert!(listed.contains(&url.as_str()), "{url} missing from sitemap");
    }
    for doc in [
        "index",
        "about/index",
        "posts/index",
        "posts/post-0/index",
        "posts/future/index",
    ] {
        assert!(
            root.join("public").join(format!("{doc}.txt")).exists(),
            "{doc}.txt"
        );
    }
}

#[test]
fn feeds_parse_as_rss_and_atom() {
    let dir = fixture();
    let root = dir.path();
    build(root);
    let rss = feed_rs::parser::parse(read(root, "rss.xml").as_bytes()).unwrap();
    assert_eq!(rss.feed_type, feed_rs::model::FeedType::RSS2);
    let titles: Vec<String> = rss
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles, vec!["Future", "Post 2", "Post 1", "Post 0"]);
    let atom = feed_rs::parser::parse(read(root, "atom.xml").as_bytes()).unwrap();
    assert_eq!(atom.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(
        atom.entries[1].links[0].href,
        "https://example.org/sub/posts/post-2/"
    );
    assert_eq!(
        atom.updated.unwrap().to_rfc3339(),
        "2030-01-01T00:00:00+00:00"
    );
    let term = feed_rs::parser::parse(read(root, "beats/policy/atom.xml").as_bytes()).unwrap();
    let titles: Vec<String> = term
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles, vec!["Post 2", "Post 1"]);
    assert!(feed_rs::parser::parse(read(root, "beats/chips/rss.xml").as_bytes()).is_ok());
}

#[test]
fn search_index_and_text_twins_are_written_unless_turned_off() {
    let dir = fixture();
    let root = dir.path();
    build(root);
    assert!(
        root.join("public/search/meta.zsm").exists(),
        "index on by default"
    );
    assert!(root.join("public/posts/post-0/index.txt").exists());
    assert!(read(root, "posts/post-0/index.html").contains("index.txt"));
    let config = fs::read_to_string(root.join("site.toml")).unwrap();
    // A top-level key goes before the first table.
    write(
        root,
        "site.toml",
        &format!("text_twins = false\n{config}\n[search]\nenabled = false\n"),
    );
    build(root);
    assert!(
        !root.join("public/search").exists(),
        "no index when [search] enabled = false"
    );
    assert!(
        !root.join("public/posts/post-0/index.txt").exists(),
        "no twin when text_twins = false"
    );
    assert!(
        !read(root, "posts/post-0/index.html").contains("index.txt"),
        "the page links no twin"
    );
    assert!(root.join("public/posts/post-0/index.html").exists());
}

#[test]
fn as_of_hides_later_pages_and_stamps_feeds() {
    let dir = fixture();
    let root = dir.path();
    let options = BuildOptions {
        as_of: site::frontmatter::parse_date("2024-06-01"),
        drafts: true,
        ..BuildOptions::default()
    };
    let report = site::build(&Paths::new(root), &options).unwrap();
    assert_eq!(report.pages, 5, "future left out, draft included");
    assert!(root.join("public/posts/draft/index.html").exists());
    assert!(!root.join("public/posts/future").exists());
    let atom = feed_rs::parser::parse(read(root, "atom.xml").as_bytes()).unwrap();
    assert_eq!(
        atom.updated.unwrap().to_rfc3339(),
        "2024-06-01T00:00:00+00:00"
    );
}

#[test]
fn rebuilds_are_byte_identical_and_reuse_unchanged_files() {
    let dir = fixture();
    let root = dir.path();
    let first_report = build(root);
    let first = snapshot(&root.join("public"));
    let second_report = build(root);
    assert_eq!(snapshot(&root.join("public")), first);
    assert_eq!(second_report.written, 0);
    assert_eq!(second_report.unchanged, first_report.written);

    let other = root.join("elsewhere");
    site::build(
        &Paths::new(root),
        &BuildOptions {
            output: Some(other.clone()),
            ..BuildOptions::default()
        },
    )
    .unwrap();
    assert_eq!(snapshot(&other), first);
    assert_only_scratch_left(root);
}

#[test]
fn check_passes_on_a_good_site() {
    let dir = fixture();
    let report = site::check(&Paths::new(dir.path()), &BuildOptions::default()).unwrap();
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert!(report.links_checked > 50, "{}", report.links_checked);
}

#[test]
fn check_lists_broken_links_and_anchors_with_lines_and_exits_1() {
    let dir = fixture();
    let root = dir.path();
    write(
        root,
        "content/about.md",
        "---\ntitle: About\n---\n## Who we are\n\nSee [nothing](/nowhere/) and\n[a bad anchor](/posts/#missing).\n\n![A chart](/files/chart.png)\n",
    );
    write(
        root,
        "content/posts/post-0.md",
        "---\ntitle: Post 0\ntitel: typo\n---\nx\n",
    );
    let output = zeitgeist(root, &["check"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("content/about.md:6: broken link `https://example.org/sub/nowhere/`"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("content/about.md:7: broken anchor `https://example.org/sub/posts/#missing`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("content/posts/post-0.md:3: front matter: unknown field `titel`"),
        "{stdout}"
    );
    // The broken page is left out, so a link to it breaks too; the other pages still render.
    assert!(
        stdout.contains(
            "content/posts/post-2.md:8: broken link `https://example.org/sub/posts/post-0/`"
        ),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("content/about.md:9: broken link `https://example.org/sub/files/chart.png`"),
        "{stdout}"
    );
    assert!(stdout.contains("5 problem(s)"), "{stdout}");
}

/// Builds the fixture, breaks it with `breakage`, and checks that the build fails with exit
/// code 1, an error containing `expected`, and the previous output left exactly as it was.
fn assert_bad_input(breakage: impl FnOnce(&Path), expected: &str) {
    let dir = fixture();
    let root = dir.path();
    build(root);
    let before = snapshot(&root.join("public"));
    breakage(root);
    let output = zeitgeist(root, &["build"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(expected),
        "expected `{expected}` in:\n{stderr}"
    );
    assert_eq!(
        snapshot(&root.join("public")),
        before,
        "the previous output changed"
    );
    assert_only_scratch_left(root);
}

#[test]
fn broken_yaml_is_located() {
    assert_bad_input(
        |root| {
            write(
                root,
                "content/posts/post-1.md",
                "---\ntitle: Post 1\ndate: 2024-02-01\ndescription: \"unclosed\n---\nx\n",
            )
        },
        "content/posts/post-1.md:4: front matter:",
    );
}

#[test]
fn bad_front_matter_value_is_located() {
    assert_bad_input(
        |root| {
            write(
                root,
                "content/about.md",
                "---\ntitle: About\n\ndate: someday\n---\nx\n",
            )
        },
        "content/about.md:4: front matter: `date`: invalid date `someday`",
    );
}

#[test]
fn missing_template_is_located() {
    assert_bad_input(
        |root| {
            write(
                root,
                "content/about.md",
                "---\ntitle: About\ntemplate: fancy.html\n---\nx\n",
            )
        },
        "content/about.md:3: template `fancy.html` not found",
    );
}

#[test]
fn template_error_is_located() {
    assert_bad_input(
        |root| {
            write(root, "templates/page.html", "{% extends \"base.html\" %}\n{% block content %}\n<h1>{{ page.titel }}</h1>\n{% endblock content %}\n")
        },
        "templates/page.html:3: template error: Failed to render 'page.html': Variable `page.titel` not found",
    );
}

#[test]
fn template_syntax_error_is_located() {
    assert_bad_input(
        |root| write(root, "templates/page.html", "<p>\n{% if %}\n"),
        "templates/page.html:2: template syntax error",
    );
}

#[test]
fn unreadable_file_is_named() {
    assert_bad_input(
        |root| {
            std::os::unix::fs::symlink(
                root.join("content/gone.md"),
                root.join("content/posts/dangling.md"),
            )
            .unwrap()
        },
        "content/posts/dangling.md: cannot read:",
    );
}

#[test]
fn invalid_utf8_is_located() {
    assert_bad_input(
        |root| {
            fs::write(
                root.join("content/about.md"),
                b"---\ntitle: About\n---\n\nbad \xff byte\n",
            )
            .unwrap()
        },
        "content/about.md:5: invalid UTF-8",
    );
}

#[test]
fn bad_config_names_the_key() {
    assert_bad_input(
        |root| write(root, "site.toml", &format!("paginat = 3\n{SITE_TOML}")),
        "site.toml: TOML parse error at line 1",
    );
}

/// A plain HTTP/1.1 GET: (status, body).
fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Polls `path` until `accept` holds, for at most 10 s (file events take a moment to arrive).
fn wait_for(
    addr: std::net::SocketAddr,
    path: &str,
    accept: impl Fn(u16, &str) -> bool,
) -> (u16, String) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, body) = http_get(addr, path);
        if accept(status, &body) || std::time::Instant::now() > deadline {
            return (status, body);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn serve_rebuilds_on_edit_shows_errors_and_recovers() {
    let dir = fixture();
    let root = dir.path();
    let server =
        zeitgeist::serve::Server::start(&Paths::new(root), BuildOptions::default(), 0).unwrap();
    let addr = server.addr();

    let (status, about) = http_get(addr, "/about/");
    assert_eq!(status, 200);
    assert!(
        about.contains("People.") && about.contains("/__zeitgeist/reload"),
        "{about}"
    );
    assert!(
        about.contains(&format!("http:&#x2F;&#x2F;{addr}&#x2F;")),
        "links point at the server: {about}"
    );
    let (_, css) = http_get(addr, "/style.css");
    assert!(!css.contains("<script"), "only HTML gets the reload script");
    assert_eq!(http_get(addr, "/nowhere/").0, 404);
    let (_, version) = http_get(addr, "/__zeitgeist/reload");

    write(
        root,
        "content/about.md",
        "---\ntitle: About\n---\n## Who we are\n\nEdited people.\n",
    );
    let (_, about) = wait_for(addr, "/about/", |_, body| body.contains("Edited people."));
    assert!(about.contains("Edited people."), "{about}");
    let (_, newer) = http_get(addr, &format!("/__zeitgeist/reload?since={version}"));
    assert_ne!(newer, version, "the reload poll reports the rebuild");

    write(
        root,
        "templates/page.html",
        "{% extends \"base.html\" %}\n{% block content %}{{ page.titel }}{% endblock content %}\n",
    );
    let (status, error) = wait_for(addr, "/about/", |status, _| status == 500);
    assert_eq!(status, 500, "{error}");
    assert!(
        error.contains("templates/page.html:2: template error") && error.contains("page.titel"),
        "{error}"
    );
    assert!(
        error.contains("(and 4 more)"),
        "one template error for five pages is one line: {error}"
    );
    assert!(
        error.contains("/__zeitgeist/reload"),
        "the error page reloads itself when fixed"
    );

    fs::remove_file(root.join("templates/page.html")).unwrap();
    let (status, about) = wait_for(addr, "/about/", |status, _| status == 200);
    assert_eq!(status, 200, "{about}");
    assert!(about.contains("Edited people."), "{about}");

    // A broken content file is reported at its line; the other pages stay up behind the error
    // page, and fixing the file clears it.
    write(
        root,
        "content/posts/post-0.md",
        "---\ntitle: Post 0\nbeet: x\n---\nx\n",
    );
    let (status, error) = wait_for(addr, "/", |status, _| status == 500);
    assert!(
        error.contains("content/posts/post-0.md:3: front matter: unknown field `beet`"),
        "{status} {error}"
    );
    write(
        root,
        "content/posts/post-0.md",
        "---\ntitle: Post 0 again\ndate: 2024-01-01\n---\nBack.\n",
    );
    let (status, post) = wait_for(addr, "/posts/post-0/", |status, _| status == 200);
    assert!(post.contains("Post 0 again"), "{status} {post}");
    assert!(
        !root.join("public").exists(),
        "serve never writes the output folder"
    );
    drop(server);
}

/// Real Hacker News stories (titles with `&`, quotes, Unicode; URLs with queries) as pages:
/// the site builds, checks clean, escapes titles in HTML and round-trips them through the feeds.
#[test]
fn real_hacker_news_stories_build_check_and_round_trip_through_feeds() {
    let corpus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/hn-ai-digest/hn_ai_stories.jsonl"
    );
    let records: Vec<serde_json::Value> = fs::read_to_string(corpus)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .enumerate()
        .filter(|(i, r): &(usize, serde_json::Value)| {
            *i < 200 || r["title"].as_str().unwrap().contains('&')
        })
        .map(|(_, r)| r)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/zeitgeist"),
        &root.join("themes/zeitgeist"),
    );
    write(
        root,
        "site.toml",
        "title = \"HN\"\nbase_url = \"https://example.org/\"\npaginate = 25\n",
    );
    write(
        root,
        "content/hn/_index.md",
        "---\ntitle: Hacker News\n---\n",
    );
    for r in &records {
        // JSON strings are valid YAML scalars, so the untrusted title is quoted safely.
        let text = format!(
            "---\ntitle: {title}\ndate: {date}\ntaxonomies:\n  categories: [Hacker News]\n---\n[Read the story]({url}), {points} points, \
             {comments} comments on [Hacker News]({hn}).\n",
            title = r["title"],
            date = r["digest_date"].as_str().unwrap(),
            url = r["url"].as_str().unwrap_or("https://news.ycombinator.com/"),
            points = r["points"],
            comments = r["num_comments"],
            hn = r["hn_url"].as_str().unwrap(),
        );
        write(root, &format!("content/hn/{}.md", r["hn_id"]), &text);
    }
    let report = build(root);
    assert_eq!(report.pages, records.len());

    let graviton = read(root, "hn/38447705/index.html");
    assert!(
        graviton.contains("<h1>AWS unveils Graviton4 &amp; Trainium2</h1>"),
        "{graviton}"
    );
    let check = site::check(&Paths::new(root), &BuildOptions::default()).unwrap();
    assert!(check.problems.is_empty(), "{:#?}", check.problems);

    let rss = feed_rs::parser::parse(read(root, "rss.xml").as_bytes()).unwrap();
    let atom =
        feed_rs::parser::parse(read(root, "categories/hacker-news/atom.xml").as_bytes()).unwrap();
    let mut newest: Vec<&serde_json::Value> = records.iter().collect();
    newest.sort_by(|a, b| {
        b["digest_date"]
            .as_str()
            .cmp(&a["digest_date"].as_str())
            .then(a["title"].as_str().cmp(&b["title"].as_str()))
    });
    let expected: Vec<&str> = newest
        .iter()
        .take(50)
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    for feed in [rss, atom] {
        let titles: Vec<String> = feed
            .entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect();
        assert_eq!(titles, expected);
    }
}

/// Builds leave nothing beside their output but the staging folder they keep as scratch space
/// for the next build (the output before last, or a failed build's files).
fn assert_only_scratch_left(root: &Path) {
    let leftovers: Vec<_> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".zeitgeist") && !n.starts_with(".zeitgeist-staging-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn output_folder_over_a_source_folder_is_refused_and_sources_survive() {
    let dir = fixture();
    let root = dir.path();
    let content = snapshot(&root.join("content"));
    let data = snapshot(&root.join("data"));
    for (output_dir, folder) in [("content", "content/"), ("data", "data/"), (".", "root")] {
        write(
            root,
            "site.toml",
            &format!("output_dir = \"{output_dir}\"\n{SITE_TOML}"),
        );
        for command in ["build", "check", "build"] {
            let output = zeitgeist(root, &[command]);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{command}: {stderr}");
            assert!(stderr.contains("`output_dir`"), "{command}: {stderr}");
            assert!(stderr.contains(folder), "{command}: {stderr}");
        }
    }
    write(root, "site.toml", SITE_TOML);
    let inside_data = root.join("data/analysis");
    let output = zeitgeist(root, &["build", "--output", inside_data.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("source folder `data/`"), "{stderr}");
    assert_eq!(snapshot(&root.join("content")), content);
    assert_eq!(snapshot(&root.join("data")), data);
    let leftovers: Vec<_> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".zeitgeist"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn check_and_build_validate_the_beats_and_entities_files() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let beats = fs::read_to_string(repo.join("data/beats.yaml"))
        .unwrap()
        .replace("slug: regulation", "slug: safety-alignment");
    let beats_line = beats
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("slug: safety-alignment"))
        .nth(1)
        .unwrap()
        .0
        + 1;
    let entities = "entities:\n  - {name: A, kind: person, aliases: [a]}\n  - {name: B, kind: company, aliases: [b]}\n";
    let dir = fixture();
    let root = dir.path();
    write(root, "data/beats.yaml", &beats);
    write(root, "data/entities.yaml", entities);
    let expected = [
        format!(
            "data/beats.yaml:{beats_line}: beats[3].slug: duplicate beat slug `safety-alignment`"
        ),
        "data/entities.yaml:3: entities[1].kind: unknown variant `company`".to_string(),
    ];
    for command in ["check", "build"] {
        let output = zeitgeist(root, &[command]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(1), "{command}: {text}");
        for expected in &expected {
            assert!(
                text.contains(expected.as_str()),
                "{command}: {expected} in {text}"
            );
        }
    }
    assert!(!root.join("public").exists());
}

#[test]
fn a_failing_partial_is_named_with_its_line() {
    assert_bad_input(
        |root| {
            write(
                root,
                "templates/page.html",
                "{% extends \"base.html\" %}\n{% block content %}\n{% include \"partials/broken.html\" %}\n{% endblock content %}\n",
            );
            write(
                root,
                "templates/partials/broken.html",
                "<h1>{{ page.title }}</h1>\n<p>{{ page.title | round }}</p>\n",
            );
        },
        "templates/partials/broken.html:2: template error: Failed to render 'page.html': Filter call 'round' failed",
    );
}

/// Builds the repository's own site (the committed demo) into a temp folder: (folder, output).
fn build_demo() -> (tempfile::TempDir, PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let output = zeitgeist(repo, &["build", "--output", public.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (out, public)
}

#[test]
fn the_demo_sitemap_lists_every_page() {
    let (_out, public) = build_demo();
    let sitemap = fs::read_to_string(public.join("sitemap.xml")).unwrap();
    let listed: std::collections::BTreeSet<&str> = sitemap
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
        .collect();
    let pages: Vec<String> = snapshot(&public)
        .keys()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p.ends_with("index.html"))
        .map(|p| {
            format!(
                "https://zeitgeist-observatory.github.io/zeitgeist/{}",
                p.trim_end_matches("index.html")
            )
        })
        .collect();
    let missing: Vec<&String> = pages
        .iter()
        .filter(|p| !listed.contains(p.as_str()))
        .collect();
    assert!(missing.is_empty(), "missing from the sitemap: {missing:#?}");
    assert_eq!(listed.len(), pages.len());
    assert!(
        listed.contains("https://zeitgeist-observatory.github.io/zeitgeist/developers/console/")
    );
}

#[test]
fn every_story_of_the_demo_has_its_own_id_page_and_api_file() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_out, public) = build_demo();
    let story_files = walkdir::WalkDir::new(repo.join("content/stories"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && e.file_name() != "_index.md")
        .count();
    assert!(story_files > 100, "{story_files} stories");
    let api = public.join("api/v1");
    let json = |rel: &str| -> serde_json::Value {
        serde_json::from_str(&fs::read_to_string(api.join(rel)).unwrap()).unwrap()
    };
    let pages = json("stories/index.json")["pages"].as_u64().unwrap();
    let mut ids = std::collections::BTreeSet::new();
    let mut slugs = std::collections::BTreeSet::new();
    for n in 1..=pages {
        for summary in json(&format!("stories/page/{n}.json"))["stories"]
            .as_array()
            .unwrap()
        {
            let id = summary["id"].as_str().unwrap();
            assert!(ids.insert(id.to_string()), "story id `{id}` twice");
            slugs.insert(summary["slug"].as_str().unwrap().to_string());
            let file = json(&format!("stories/{id}.json"));
            assert_eq!(file["url"], summary["url"], "{id}");
            let path = summary["url"]
                .as_str()
                .unwrap()
                .split_once("/zeitgeist/")
                .unwrap()
                .1;
            assert!(
                public.join(path).join("index.html").is_file(),
                "{id}: no page"
            );
            assert!(id.ends_with(summary["slug"].as_str().unwrap()));
        }
    }
    assert_eq!(ids.len(), story_files, "every story is listed once");
    let files = fs::read_dir(api.join("stories"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_type().unwrap().is_file())
        .count();
    assert_eq!(files, story_files + 1, "one file per story, and the index");
    assert!(
        slugs.len() < ids.len(),
        "the demo has stories sharing a slug"
    );
}

#[test]
fn demo_pages_have_headings_in_order_sharing_metadata_and_the_repository() {
    let (_out, public) = build_demo();
    let heading = regex::Regex::new(r"<h([1-6])[ >]").unwrap();
    let pages: Vec<PathBuf> = snapshot(&public)
        .into_keys()
        .filter(|p| p.ends_with("index.html"))
        .collect();
    for rel in &pages {
        let html = fs::read_to_string(public.join(rel)).unwrap();
        let main = html
            .split("<main")
            .nth(1)
            .unwrap()
            .split("</main>")
            .next()
            .unwrap();
        let levels: Vec<u32> = heading
            .captures_iter(main)
            .map(|c| c[1].parse().unwrap())
            .collect();
        assert_eq!(levels.first(), Some(&1), "{}: no h1 first", rel.display());
        assert_eq!(
            levels.iter().filter(|&&l| l == 1).count(),
            1,
            "{}",
            rel.display()
        );
        for pair in levels.windows(2) {
            assert!(
                pair[1] <= pair[0] + 1,
                "{}: h{} after h{}",
                rel.display(),
                pair[1],
                pair[0]
            );
        }
        for tag in [
            "og:title",
            "og:description",
            "og:type",
            "og:url",
            "twitter:card",
        ] {
            assert!(html.contains(tag), "{}: no {tag}", rel.display());
        }
        assert!(
            html.contains("<a href=\"https:&#x2F;&#x2F;github.com&#x2F;zeitgeist-observatory&#x2F;zeitgeist\">Source and issues</a>"),
            "{}: no repository link",
            rel.display()
        );
    }
    let story = pages
        .iter()
        .find(|p| p.starts_with("stories/2026"))
        .unwrap();
    let html = fs::read_to_string(public.join(story)).unwrap();
    let ld = html
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let ld: serde_json::Value = serde_json::from_str(ld).unwrap();
    assert_eq!(ld["@type"], "NewsArticle");
    // The page escapes the headline as Tera does ("r/LocalLLaMA" → "r&#x2F;LocalLLaMA").
    let escaped = ld["headline"]
        .as_str()
        .unwrap()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2F;");
    assert!(html.contains(&format!("<h1>{escaped}</h1>")), "{escaped}");
    let twin = fs::read_to_string(public.join(story.with_file_name("index.txt"))).unwrap();
    assert!(
        twin.contains("[1]") && twin.contains("\n[1] "),
        "footnotes are not numbered:\n{twin}"
    );
    let api = fs::read_to_string(public.join("developers/api/index.html")).unwrap();
    let visible = regex::Regex::new(r"<[^>]+>").unwrap().replace_all(&api, "");
    assert!(!visible.contains('`'), "literal backticks on the API page");
    assert!(api.contains("<code>Access-Control-Allow-Origin: *</code>"));
}

#[test]
fn demo_figures_say_their_window_and_dates_without_times_stand_alone() {
    let (_out, public) = build_demo();
    let home = fs::read_to_string(public.join("index.html")).unwrap();
    assert!(home.contains("records analysed in the 90-day window"));
    let page = fs::read_to_string(public.join("wire/index.html")).unwrap();
    let hn_times = regex::Regex::new(r#"<time datetime="[^"]*T00:00:00Z">([^<]*)</time>"#).unwrap();
    let dates: Vec<&str> = hn_times
        .captures_iter(&page)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert!(!dates.is_empty(), "no date-only record on the wire");
    assert!(
        dates.iter().all(|d| !d.contains("UTC") && !d.contains(':')),
        "{dates:?}"
    );
}

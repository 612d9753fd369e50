//! RSS 2.0, Atom and JSON Feed 1.1 feeds for the whole site (`/rss.xml`, `/atom.xml`,
//! `/feed.json`), for every section below the root that has dated pages (`/stories/feed.json`…)
//! and for every taxonomy term (`/beats/chips/rss.xml`…), with the newest `feeds.limit` pages. Feed dates come from the
//! pages (or `--as-of`), never from the build machine's clock.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::site::content::Document;
use crate::site::render::{fingerprint, Job, Output};
use crate::site::slug::permalink;
use crate::site::{Problem, Site};

/// Which pages a feed lists.
#[derive(Debug, Clone, Copy)]
enum FeedOf {
    Site,
    /// Section index in `Content::sections` (never the root, whose feed is the site's).
    Section(usize),
    /// Taxonomy index and term index in `Content::taxonomies`.
    Term(usize, usize),
}

/// One job per feed (RSS, Atom and JSON Feed are rendered together from the same pages).
pub fn jobs(site: &Site) -> Vec<Job> {
    let wanted = &site.config.feeds;
    if !wanted.rss && !wanted.atom && !wanted.json {
        return Vec::new();
    }
    let mut feeds = vec![FeedOf::Site];
    let content = &site.content;
    feeds.extend(
        (0..content.sections.len())
            .filter(|&s| content.sections[s].parent.is_some())
            .filter(|&s| {
                let pages = &content.sections[s].pages;
                pages.iter().any(|&p| content.pages[p].meta.date.is_some())
            })
            .map(FeedOf::Section),
    );
    for (t, taxonomy) in site.content.taxonomies.iter().enumerate() {
        feeds.extend((0..taxonomy.terms.len()).map(|term| FeedOf::Term(t, term)));
    }
    feeds
        .into_iter()
        .map(|feed| {
            let (key, _, _, pages) = describe(site, feed);
            let revisions: Vec<u64> = pages.iter().map(|&p| site.content.revisions[p]).collect();
            Job::new(("feed", key), fingerprint(revisions), move |site| {
                render(site, feed)
            })
        })
        .collect()
}

/// Key, title, URL path of the listing and the pages (dated ones, newest first, at most the
/// limit; undated pages such as About are not news).
fn describe(site: &Site, feed: FeedOf) -> (String, String, String, Vec<usize>) {
    let limit = site.config.feeds.limit;
    let (key, title, path, pages) = match feed {
        FeedOf::Site => (
            "site".to_string(),
            site.config.title.clone(),
            "/".to_string(),
            &site.content.newest_first[..],
        ),
        FeedOf::Section(s) => {
            let section = &site.content.sections[s];
            let pages = newest_first(site, &section.pages);
            let title = format!("{} — {}", site.config.title, section.doc.meta.title);
            let dated = dated(site, pages.into_iter(), limit);
            return (
                format!("section:{}", section.doc.rel),
                title,
                section.doc.path.clone(),
                dated,
            );
        }
        FeedOf::Term(t, term) => {
            let taxonomy = &site.content.taxonomies[t];
            let term = &taxonomy.terms[term];
            let title = format!("{} — {}: {}", site.config.title, taxonomy.name, term.name);
            (
                format!("{}:{}", taxonomy.name, term.slug),
                title,
                term.path.clone(),
                &term.pages[..],
            )
        }
    };
    let dated = dated(site, pages.iter().copied(), limit);
    (key, title, path, dated)
}

/// Sections list pages by their own sort order; feeds list them newest first.
fn newest_first(site: &Site, pages: &[usize]) -> Vec<usize> {
    let mut pages = pages.to_vec();
    pages.sort_by_key(|&p| std::cmp::Reverse(site.content.pages[p].last_modified()));
    pages
}

/// The first `limit` dated pages.
fn dated(site: &Site, pages: impl Iterator<Item = usize>, limit: usize) -> Vec<usize> {
    pages
        .filter(|&p| site.content.pages[p].meta.date.is_some())
        .take(limit)
        .collect()
}

fn render(site: &Site, feed: FeedOf) -> Result<Vec<Output>, Problem> {
    let (_, title, path, indices) = describe(site, feed);
    let pages: Vec<&Document> = indices
        .iter()
        .map(|&p| site.content.pages[p].as_ref())
        .collect();
    let updated = site
        .options
        .as_of
        .or_else(|| pages.iter().filter_map(|p| p.last_modified()).max())
        .unwrap_or_default();
    let meta = FeedMeta {
        title,
        site_title: site.config.title.clone(),
        link: permalink(&site.base_url, &path),
        description: site.config.description.clone(),
        language: site.config.language.clone(),
        updated,
    };
    let mut outputs = Vec::new();
    if site.config.feeds.rss {
        let self_url = format!("{}rss.xml", meta.link);
        outputs.push(Output::Bytes {
            path: format!("{}rss.xml", path.trim_start_matches('/')),
            bytes: rss_feed(&meta, &pages, &self_url).into_bytes(),
        });
    }
    if site.config.feeds.atom {
        let self_url = format!("{}atom.xml", meta.link);
        outputs.push(Output::Bytes {
            path: format!("{}atom.xml", path.trim_start_matches('/')),
            bytes: atom_feed(&meta, &pages, &self_url).into_bytes(),
        });
    }
    if site.config.feeds.json {
        let self_url = format!("{}feed.json", meta.link);
        outputs.push(Output::Bytes {
            path: format!("{}feed.json", path.trim_start_matches('/')),
            bytes: json_feed(&meta, &pages, &self_url),
        });
    }
    Ok(outputs)
}

struct FeedMeta {
    title: String,
    /// The site's name, the feeds' author.
    site_title: String,
    link: String,
    description: String,
    language: String,
    updated: DateTime<Utc>,
}

fn entry_text(page: &Document) -> &str {
    if page.meta.description.is_empty() {
        &page.body.summary
    } else {
        &page.meta.description
    }
}

fn rss_feed(meta: &FeedMeta, pages: &[&Document], self_url: &str) -> String {
    let items: Vec<rss::Item> = pages
        .iter()
        .map(|page| {
            let mut item = rss::Item::default();
            item.set_title(page.meta.title.clone());
            item.set_link(page.permalink.clone());
            let mut guid = rss::Guid::default();
            guid.set_value(page.permalink.clone());
            guid.set_permalink(true);
            item.set_guid(guid);
            item.set_pub_date(page.meta.date.map(|d| d.to_rfc2822()));
            item.set_description(entry_text(page).to_string());
            item.set_categories(
                page.meta
                    .taxonomies
                    .values()
                    .flatten()
                    .map(|name| rss::Category {
                        name: name.clone(),
                        domain: None,
                    })
                    .collect::<Vec<_>>(),
            );
            item
        })
        .collect();
    let mut channel = rss::Channel::default();
    channel.set_title(meta.title.clone());
    channel.set_link(meta.link.clone());
    channel.set_description(if meta.description.is_empty() {
        meta.title.clone()
    } else {
        meta.description.clone()
    });
    channel.set_language(meta.language.clone());
    channel.set_last_build_date(meta.updated.to_rfc2822());
    channel.set_docs("https://www.rssboard.org/rss-specification".to_string());
    channel.set_generator(format!(
        "zeitgeist {} ({self_url})",
        env!("CARGO_PKG_VERSION")
    ));
    channel.set_items(items);
    channel.to_string()
}

fn atom_feed(meta: &FeedMeta, pages: &[&Document], self_url: &str) -> String {
    use atom_syndication::{Entry, Feed, Link, Person, Text};
    let fixed = |date: DateTime<Utc>| date.fixed_offset();
    let entries: Vec<Entry> = pages
        .iter()
        .map(|page| {
            let mut entry = Entry::default();
            entry.set_title(Text::plain(page.meta.title.clone()));
            entry.set_id(page.permalink.clone());
            entry.set_updated(fixed(page.last_modified().unwrap_or(meta.updated)));
            entry.set_published(page.meta.date.map(fixed));
            entry.set_links(vec![Link {
                href: page.permalink.clone(),
                ..Link::default()
            }]);
            entry.set_summary(Some(Text::plain(entry_text(page).to_string())));
            entry
        })
        .collect();
    let mut feed = Feed::default();
    feed.set_title(Text::plain(meta.title.clone()));
    feed.set_id(meta.link.clone());
    feed.set_updated(fixed(meta.updated));
    feed.set_lang(Some(meta.language.clone()));
    feed.set_authors(vec![Person {
        name: meta.site_title.clone(),
        ..Person::default()
    }]);
    if !meta.description.is_empty() {
        feed.set_subtitle(Some(Text::plain(meta.description.clone())));
    }
    feed.set_links(vec![
        Link {
            href: meta.link.clone(),
            ..Link::default()
        },
        Link {
            href: self_url.to_string(),
            rel: "self".into(),
            mime_type: Some("application/atom+xml".into()),
            ..Link::default()
        },
    ]);
    feed.set_entries(entries);
    feed.to_string()
}

/// A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1). Summaries are plain text, so
/// nothing a reader's feed client shows can carry markup from the pages' sources.
fn json_feed(meta: &FeedMeta, pages: &[&Document], self_url: &str) -> Vec<u8> {
    let items: Vec<serde_json::Value> = pages
        .iter()
        .map(|page| {
            let tags: Vec<&String> = page.meta.taxonomies.values().flatten().collect();
            serde_json::json!({
                "id": page.permalink,
                "url": page.permalink,
                "title": page.meta.title,
                "summary": entry_text(page),
                "content_text": page.body.text,
                "date_published": page.meta.date.map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true)),
                "date_modified": page.last_modified().map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true)),
                "tags": tags,
            })
        })
        .collect();
    let mut feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.link,
        "feed_url": self_url,
        "language": meta.language,
        "authors": [{"name": meta.site_title}],
        "items": items,
    });
    if !meta.description.is_empty() {
        feed["description"] = meta.description.clone().into();
    }
    let mut bytes = serde_json::to_vec_pretty(&feed).expect("feeds serialise");
    bytes.push(b'\n');
    bytes
}

//! `sitemap.xml` (every page, section pager, taxonomy and term pager, the pages of beats without
//! stories and the Console) and `robots.txt`.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::site::pagination::{pager_path, pager_ranges};
use crate::site::render::{fingerprint, Job, Output};
use crate::site::slug::permalink;
use crate::site::{beats, console, escape_xml, Problem, Site};

/// The sitemap and robots.txt jobs.
pub fn jobs(site: &Site) -> Vec<Job> {
    let robots = Job::new("robots", fingerprint(&site.base_url), |site| {
        let sitemap = permalink(&site.base_url, "/sitemap.xml");
        let text = format!("User-agent: *\nAllow: /\n\nSitemap: {sitemap}\n");
        Ok(vec![Output::Bytes {
            path: "robots.txt".into(),
            bytes: text.into_bytes(),
        }])
    });
    // What the sitemap lists: every page's path and dates (one number kept by the content),
    // and the pager counts of every listing.
    let content = &site.content;
    let sections: Vec<(u64, usize, usize)> = content
        .sections
        .iter()
        .map(|s| (s.doc.revision, s.pages.len(), s.paginate_by))
        .collect();
    let terms: Vec<(&str, usize)> = content
        .taxonomies
        .iter()
        .flat_map(|t| {
            t.terms
                .iter()
                .map(|term| (term.path.as_str(), term.pages.len()))
        })
        .collect();
    let inputs = (
        content.listing_revision,
        sections,
        terms,
        site.config.paginate,
        (beats::storyless(site), console::published(site)),
    );
    let sitemap = Job::new("sitemap", fingerprint(inputs), render);
    vec![sitemap, robots]
}

type Date = Option<DateTime<Utc>>;

/// Calls `visit(listing path, pager number, last modified)` for every URL the sitemap lists:
/// pages (pager number 1), every pager of sections and terms, taxonomy lists, and the pages
/// generated from data: beats without stories and the Console.
fn visit_entries(site: &Site, mut visit: impl FnMut(&str, usize, Date)) {
    let content = &site.content;
    for page in &content.pages {
        visit(&page.path, 1, page.last_modified());
    }
    for slug in beats::storyless(site) {
        visit(&beats::page_path(&slug), 1, None);
    }
    if console::published(site) {
        visit(console::CONSOLE_PATH, 1, None);
    }
    for section in &content.sections {
        let newest = section
            .pages
            .iter()
            .filter_map(|&p| content.pages[p].last_modified())
            .max();
        let count = pager_ranges(section.pages.len(), section.paginate_by).len();
        for number in 1..=count {
            visit(
                &section.doc.path,
                number,
                section.doc.last_modified().max(newest),
            );
        }
    }
    for taxonomy in &content.taxonomies {
        visit(&taxonomy.path, 1, None);
        for term in &taxonomy.terms {
            let newest = term
                .pages
                .first()
                .and_then(|&p| content.pages[p].last_modified());
            let count = pager_ranges(term.pages.len(), site.config.paginate).len();
            for number in 1..=count {
                visit(&term.path, number, newest);
            }
        }
    }
}

fn render(site: &Site) -> Result<Vec<Output>, Problem> {
    let mut entries: Vec<(String, Date)> = Vec::new();
    visit_entries(site, |path, number, lastmod| {
        entries.push((pager_path(path, number), lastmod))
    });
    entries.sort();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (path, lastmod) in entries {
        let _ = write!(
            xml,
            "  <url>\n    <loc>{}</loc>\n",
            escape_xml(&permalink(&site.base_url, &path))
        );
        if let Some(lastmod) = lastmod {
            let _ = writeln!(xml, "    <lastmod>{}</lastmod>", lastmod.format("%Y-%m-%d"));
        }
        xml.push_str("  </url>\n");
    }
    xml.push_str("</urlset>\n");
    Ok(vec![Output::Bytes {
        path: "sitemap.xml".into(),
        bytes: xml.into_bytes(),
    }])
}

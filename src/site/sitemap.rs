//! `sitemap.xml` (every page, section pager, taxonomy and term pager) and `robots.txt`.

use std::fmt::Write as _;

use crate::site::pagination::{pager_path, pager_ranges};
use crate::site::render::{fingerprint, Job, Output};
use crate::site::slug::permalink;
use crate::site::{escape_xml, Problem, Site};

pub fn jobs(site: &Site) -> Vec<Job> {
    let entries = entries(site);
    let robots = Job::new("robots".into(), fingerprint(&site.base_url), |site| {
        let text = format!(
            "User-agent: *\nAllow: /\n\nSitemap: {}\n",
            permalink(&site.base_url, "/sitemap.xml")
        );
        Ok(vec![Output::Bytes {
            path: "robots.txt".into(),
            bytes: text.into_bytes(),
        }])
    });
    let sitemap = Job::new("sitemap".into(), fingerprint(&entries), |site| render(site));
    vec![sitemap, robots]
}

/// (URL path, last modification date) of every listed URL, sorted by path.
fn entries(site: &Site) -> Vec<(String, Option<String>)> {
    let content = &site.content;
    let date =
        |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.format("%Y-%m-%d").to_string());
    let mut entries: Vec<(String, Option<String>)> = Vec::new();
    for page in &content.pages {
        entries.push((page.path.clone(), date(page.last_modified())));
    }
    for section in &content.sections {
        let newest = section
            .pages
            .iter()
            .filter_map(|&p| content.pages[p].last_modified())
            .max();
        let count = pager_ranges(section.pages.len(), section.paginate_by).len();
        entries.extend((1..=count).map(|n| {
            (
                pager_path(&section.doc.path, n),
                date(section.doc.last_modified().max(newest)),
            )
        }));
    }
    for taxonomy in &content.taxonomies {
        entries.push((taxonomy.path.clone(), None));
        for term in &taxonomy.terms {
            let newest = term
                .pages
                .first()
                .and_then(|&p| content.pages[p].last_modified());
            let count = pager_ranges(term.pages.len(), site.config.paginate).len();
            entries.extend((1..=count).map(|n| (pager_path(&term.path, n), date(newest))));
        }
    }
    entries.sort();
    entries
}

fn render(site: &Site) -> Result<Vec<Output>, Problem> {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (path, lastmod) in entries(site) {
        let _ = write!(
            xml,
            "  <url>\n    <loc>{}</loc>\n",
            escape_xml(&permalink(&site.base_url, &path))
        );
        if let Some(lastmod) = lastmod {
            let _ = writeln!(xml, "    <lastmod>{lastmod}</lastmod>");
        }
        xml.push_str("  </url>\n");
    }
    xml.push_str("</urlset>\n");
    Ok(vec![Output::Bytes {
        path: "sitemap.xml".into(),
        bytes: xml.into_bytes(),
    }])
}

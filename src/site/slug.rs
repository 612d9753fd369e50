//! Slugs and the mapping from content files to URL paths and output files.
//!
//! URL paths always start and end with `/` (`/posts/hello/`); the file served for a path is its
//! `index.html`, so links never carry `.html` and the site works from any static host.

use crate::text::slugify;

/// The URL path of a content file given its path relative to `content/` (with `/` separators).
/// `posts/a.md` → `/posts/a/`, `posts/a/index.md` → `/posts/a/`, `posts/_index.md` → `/posts/`.
/// A `slug` replaces the last segment of a page (not of a section).
pub fn content_path(rel: &str, slug: Option<&str>) -> String {
    let without_ext = rel.strip_suffix(".md").unwrap_or(rel);
    let mut segments: Vec<String> = without_ext.split('/').map(slugify).collect();
    let last = without_ext.rsplit('/').next().unwrap_or_default();
    match last {
        "_index" | "index" => {
            segments.pop();
        }
        _ => {}
    }
    if let (Some(slug), false) = (slug, last == "_index") {
        if let Some(segment) = segments.last_mut() {
            *segment = slugify(slug);
        }
    }
    segments.retain(|s| !s.is_empty());
    if segments.is_empty() {
        "/".to_string()
    } else {
        format!("/{}/", segments.join("/"))
    }
}

/// The output file that serves a URL path: `/posts/a/` → `posts/a/index.html`.
pub fn index_file(path: &str, file: &str) -> String {
    format!("{}{file}", path.trim_start_matches('/'))
}

/// The absolute URL of a path: `base_url` ends with `/`, `path` starts with it.
pub fn permalink(base_url: &str, path: &str) -> String {
    format!("{base_url}{}", path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_paths() {
        assert_eq!(content_path("_index.md", None), "/");
        assert_eq!(content_path("about.md", None), "/about/");
        assert_eq!(content_path("posts/_index.md", Some("ignored")), "/posts/");
        assert_eq!(
            content_path("posts/Hello World.md", None),
            "/posts/hello-world/"
        );
        assert_eq!(content_path("posts/a/index.md", None), "/posts/a/");
        assert_eq!(
            content_path("posts/a.md", Some("Better Name")),
            "/posts/better-name/"
        );
    }

    #[test]
    fn files_and_permalinks() {
        assert_eq!(index_file("/", "index.html"), "index.html");
        assert_eq!(index_file("/posts/a/", "index.txt"), "posts/a/index.txt");
        assert_eq!(
            permalink("https://x.org/sub/", "/posts/"),
            "https://x.org/sub/posts/"
        );
    }
}

//! Splitting a listing into pagers: `/posts/`, `/posts/page/2/`, `/posts/page/3/`…

use std::ops::Range;

use serde::Serialize;
use serde_json::Value;

use crate::site::slug::permalink;

/// The URL path of pager `number` (1-based) of a listing at `base_path`.
pub fn pager_path(base_path: &str, number: usize) -> String {
    if number <= 1 {
        base_path.to_string()
    } else {
        format!("{base_path}page/{number}/")
    }
}

/// The item ranges of each pager. An empty listing still has one (empty) pager, so a section
/// without pages still gets its page.
pub fn pager_ranges(total: usize, per_pager: usize) -> Vec<Range<usize>> {
    let per_pager = per_pager.max(1);
    if total == 0 {
        return std::iter::once(0..0).collect();
    }
    (0..total.div_ceil(per_pager))
        .map(|i| i * per_pager..((i + 1) * per_pager).min(total))
        .collect()
}

/// What a listing template receives as `paginator`.
#[derive(Debug, Serialize)]
pub struct Paginator<'a> {
    /// The pages on this pager (summaries: no `content`).
    pub pages: Vec<&'a Value>,
    /// 1-based number of this pager.
    pub current_index: usize,
    pub number_pagers: usize,
    pub paginate_by: usize,
    pub total_pages: usize,
    pub first: String,
    pub last: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl<'a> Paginator<'a> {
    /// Pager `number` of `count` for a listing at `base_path`.
    pub fn new(
        pages: Vec<&'a Value>,
        (number, count): (usize, usize),
        paginate_by: usize,
        total_pages: usize,
        base_url: &str,
        base_path: &str,
    ) -> Self {
        let url = |n: usize| permalink(base_url, &pager_path(base_path, n));
        Paginator {
            pages,
            current_index: number,
            number_pagers: count,
            paginate_by,
            total_pages,
            first: url(1),
            last: url(count),
            previous: (number > 1).then(|| url(number - 1)),
            next: (number < count).then(|| url(number + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_everything_once() {
        assert_eq!(pager_ranges(0, 5), vec![0..0]);
        assert_eq!(pager_ranges(5, 5), vec![0..5]);
        assert_eq!(pager_ranges(11, 5), vec![0..5, 5..10, 10..11]);
    }

    #[test]
    fn pager_paths_and_links() {
        assert_eq!(pager_path("/posts/", 1), "/posts/");
        assert_eq!(pager_path("/posts/", 3), "/posts/page/3/");
        let p = Paginator::new(vec![], (2, 3), 5, 11, "https://x.org/", "/posts/");
        assert_eq!(p.previous.as_deref(), Some("https://x.org/posts/"));
        assert_eq!(p.next.as_deref(), Some("https://x.org/posts/page/3/"));
        assert_eq!(p.last, "https://x.org/posts/page/3/");
        let first = Paginator::new(vec![], (1, 1), 5, 0, "https://x.org/", "/");
        assert_eq!((first.previous, first.next), (None, None));
    }
}

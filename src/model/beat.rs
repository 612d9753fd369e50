//! The beat taxonomy, `data/beats.yaml`: categories, beats with their weighted terms,
//! exclusions and source hints, and the rules that decide whether a record is about AI at all.
//!
//! The file is edited by contributors, so [`Taxonomy::parse`] checks it thoroughly and every
//! error names the file, the line and the field (`data/beats.yaml:212: beats[4].terms: …`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where the taxonomy lives, relative to the site's `data/` folder.
pub const BEATS_FILE: &str = "beats.yaml";

/// A term (see the syntax at the top of `data/beats.yaml`) and its weight.
pub type TermWeights = BTreeMap<String, f64>;

/// A beat's stable identifier, e.g. `military-defence`; also the last part of its URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BeatSlug(pub String);

impl BeatSlug {
    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BeatSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A group of beats (Philosophical, Governance, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub slug: String,
    /// The name readers see.
    pub name: String,
    pub description: String,
}

/// One topical beat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beat {
    pub slug: BeatSlug,
    /// The name readers see.
    pub name: String,
    /// The slug of its [`Category`].
    pub category: String,
    /// One paragraph for the beat's page.
    pub description: String,
    /// Terms that point to this beat, with weights.
    pub terms: TermWeights,
    /// Terms that look like this beat's but are not (`price war` for military); they subtract.
    #[serde(default)]
    pub exclusions: TermWeights,
    #[serde(default)]
    pub hints: SourceHints,
}

/// Extra weight for records from a community or with a flair typical of a beat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceHints {
    /// Subreddit, feed, instance or channel name → weight.
    #[serde(default)]
    pub communities: BTreeMap<String, f64>,
    /// Reddit flair (`extra.flair`) → weight.
    #[serde(default)]
    pub flairs: BTreeMap<String, f64>,
}

/// How a record is judged to be about AI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelevanceRules {
    /// A record whose relevance points reach this is about AI.
    pub threshold: f64,
    pub terms: TermWeights,
    #[serde(default)]
    pub exclusions: TermWeights,
    /// Communities about AI lend a little weight to everything posted there.
    #[serde(default)]
    pub communities: BTreeMap<String, f64>,
}

/// The whole of `data/beats.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    /// The score a beat needs to be assigned to a record.
    pub min_score: f64,
    pub categories: Vec<Category>,
    pub relevance: RelevanceRules,
    pub beats: Vec<Beat>,
}

/// A problem in `data/beats.yaml` (or `data/entities.yaml`, which shares the checks).
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {field}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        field: String,
        message: String,
    },
}

/// The weights a term or source hint may carry: 1 = a hint, 2 = a good sign, 3 = decisive on
/// its own; more would let one word overrule everything else.
pub const TERM_WEIGHTS: (f64, f64) = (1.0, 3.0);
/// The weights an exclusion may carry: up to 5, so one can cancel a few decisive terms.
pub const EXCLUSION_WEIGHTS: (f64, f64) = (1.0, 5.0);

impl Taxonomy {
    /// Reads and validates `<data>/beats.yaml`.
    pub fn load(data_dir: &Path) -> Result<Taxonomy, TaxonomyError> {
        let path = data_dir.join(BEATS_FILE);
        let text = fs::read_to_string(&path).map_err(|source| TaxonomyError::Read {
            path: path.clone(),
            source,
        })?;
        Taxonomy::parse(&path, &text)
    }

    /// Parses and validates taxonomy text; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Taxonomy, TaxonomyError> {
        let taxonomy: Taxonomy = parse_yaml(path, text)?;
        taxonomy.validate(&YamlLocator { path, text })?;
        Ok(taxonomy)
    }

    /// The category a beat belongs to (validated to exist).
    pub fn category_of(&self, beat: &Beat) -> &Category {
        self.categories
            .iter()
            .find(|c| c.slug == beat.category)
            .expect("validated at load")
    }

    fn validate(&self, at: &YamlLocator) -> Result<(), TaxonomyError> {
        if self.min_score.is_nan() || self.min_score <= 0.0 {
            return Err(at.error("min_score", None, "must be above 0"));
        }
        let mut category_slugs = BTreeSet::new();
        for (i, category) in self.categories.iter().enumerate() {
            let field = format!("categories[{i}]");
            let line = at.line_of(&format!("slug: {}", category.slug), category_slugs.len());
            check_slug(at, &field, &category.slug, line)?;
            if !category_slugs.insert(category.slug.as_str()) {
                let msg = format!("duplicate category slug `{}`", category.slug);
                return Err(at.error(&field, line, &msg));
            }
        }
        let relevance = &self.relevance;
        if relevance.threshold.is_nan() || relevance.threshold <= 0.0 {
            return Err(at.error(
                "relevance.threshold",
                at.line_of("threshold:", 0),
                "must be above 0",
            ));
        }
        let block = at.line_of_key(None, "relevance");
        let terms = |field: &str, terms: &TermWeights, range, near: Option<usize>| {
            let key = field.rsplit('.').next().unwrap_or(field);
            check_terms(at, field, terms, range, at.line_of_key(near, key))
        };
        terms("relevance.terms", &relevance.terms, TERM_WEIGHTS, block)?;
        terms(
            "relevance.exclusions",
            &relevance.exclusions,
            EXCLUSION_WEIGHTS,
            block,
        )?;
        check_weights(
            at,
            "relevance.communities",
            &relevance.communities,
            TERM_WEIGHTS,
            at.line_of_key(block, "communities"),
        )?;
        if self.beats.is_empty() {
            return Err(at.error("beats", at.line_of("beats:", 0), "no beats defined"));
        }
        let mut beat_slugs = BTreeSet::new();
        for (i, beat) in self.beats.iter().enumerate() {
            let field = format!("beats[{i}]");
            let line = at.line_of(
                &format!("slug: {}", beat.slug),
                count_before(&self.beats[..i], beat),
            );
            check_slug(at, &format!("{field}.slug"), beat.slug.as_str(), line)?;
            if !beat_slugs.insert(beat.slug.as_str()) {
                let msg = format!("duplicate beat slug `{}`", beat.slug);
                return Err(at.error(&format!("{field}.slug"), line, &msg));
            }
            if !category_slugs.contains(beat.category.as_str()) {
                let known: Vec<_> = category_slugs.iter().copied().collect();
                let msg = format!(
                    "unknown category `{}` (known: {})",
                    beat.category,
                    known.join(", ")
                );
                return Err(at.error(
                    &format!("{field}.category"),
                    at.line_of_key(line, "category"),
                    &msg,
                ));
            }
            for (name, value) in [("name", &beat.name), ("description", &beat.description)] {
                if value.trim().is_empty() {
                    return Err(at.error(
                        &format!("{field}.{name}"),
                        at.line_of_key(line, name),
                        "must not be empty",
                    ));
                }
            }
            if beat.terms.is_empty() {
                return Err(at.error(
                    &format!("{field}.terms"),
                    at.line_of_key(line, "terms"),
                    "no terms: a beat needs at least one",
                ));
            }
            let f = |name: &str| format!("{field}.{name}");
            terms(&f("terms"), &beat.terms, TERM_WEIGHTS, line)?;
            terms(&f("exclusions"), &beat.exclusions, EXCLUSION_WEIGHTS, line)?;
            let hints = at.line_of_key(line, "hints");
            for (name, weights) in [
                ("communities", &beat.hints.communities),
                ("flairs", &beat.hints.flairs),
            ] {
                let near = at.line_of_key(hints, name);
                check_weights(
                    at,
                    &f(&format!("hints.{name}")),
                    weights,
                    TERM_WEIGHTS,
                    near,
                )?;
            }
        }
        Ok(())
    }
}

/// How many beats before this one share its slug, so a duplicate's error points at the second.
fn count_before(earlier: &[Beat], beat: &Beat) -> usize {
    earlier.iter().filter(|b| b.slug == beat.slug).count()
}

/// Parses YAML into `T`, turning serde's message into `path:line: field: message`.
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, TaxonomyError> {
    serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line()).unwrap_or(1);
        let message = e.to_string();
        // serde_yaml puts the path of the offending field first ("beats[3].terms: …").
        let (field, message) = match message.split_once(": ") {
            Some((field, rest)) if !field.contains(' ') => (field.to_string(), rest.to_string()),
            _ => ("(document)".to_string(), message),
        };
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        TaxonomyError::Invalid {
            path: path.to_path_buf(),
            line,
            field,
            message,
        }
    })
}

fn check_slug(
    at: &YamlLocator,
    field: &str,
    slug: &str,
    line: Option<usize>,
) -> Result<(), TaxonomyError> {
    let valid = !slug.is_empty()
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(at.error(
            field,
            line,
            &format!("slug `{slug}` must be lowercase letters, digits and inner hyphens"),
        ))
    }
}

/// Terms must be non-empty, in the documented syntax, and weighted within `range`. `near` is
/// the line of the map's own key (`terms:`), where the search for an offending term starts.
pub(crate) fn check_terms(
    at: &YamlLocator,
    field: &str,
    terms: &TermWeights,
    range: (f64, f64),
    near: Option<usize>,
) -> Result<(), TaxonomyError> {
    for term in terms.keys() {
        let core = term.trim_start_matches('=').trim_end_matches('*');
        if core.trim().is_empty() || core != core.trim() {
            let msg = format!("empty or padded term `{term}`");
            return Err(at.error(field, at.line_of_key(near, term).or(near), &msg));
        }
    }
    check_weights(at, field, terms, range, near)
}

fn check_weights(
    at: &YamlLocator,
    field: &str,
    weights: &BTreeMap<String, f64>,
    (min, max): (f64, f64),
    near: Option<usize>,
) -> Result<(), TaxonomyError> {
    for (key, weight) in weights {
        if !(*weight >= min && *weight <= max) {
            let msg = format!("`{key}` has weight {weight}; weights here must be {min} to {max}");
            return Err(at.error(field, at.line_of_key(near, key).or(near), &msg));
        }
    }
    Ok(())
}

/// Finds lines in YAML text for error messages. serde_yaml reports lines for syntax and type
/// errors only; for checks made after parsing we look the offending text up, which is exact
/// for the keys and slugs this file is made of.
pub(crate) struct YamlLocator<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl YamlLocator<'_> {
    /// 1-based line of the `nth` (0-based) line containing `needle`.
    pub fn line_of(&self, needle: &str, nth: usize) -> Option<usize> {
        self.text
            .lines()
            .enumerate()
            .filter(|(_, line)| line.contains(needle))
            .nth(nth)
            .map(|(i, _)| i + 1)
    }

    /// 1-based line of the first mapping entry for `key` (`key:`, `"key":` or `'key':`) at or
    /// after `start`.
    pub fn line_of_key(&self, start: Option<usize>, key: &str) -> Option<usize> {
        let skip = start.unwrap_or(1).saturating_sub(1);
        let spellings = [
            format!("{key}:"),
            format!("\"{key}\":"),
            format!("'{key}':"),
            format!("- {key}:"),
        ];
        self.text
            .lines()
            .enumerate()
            .skip(skip)
            .find(|(_, line)| {
                let line = line.trim_start();
                spellings.iter().any(|s| line.starts_with(s.as_str()))
            })
            .map(|(i, _)| i + 1)
    }

    /// An error at `line` (line 1 when unknown) naming `field`.
    pub fn error(&self, field: &str, line: Option<usize>, message: &str) -> TaxonomyError {
        TaxonomyError::Invalid {
            path: self.path.to_path_buf(),
            line: line.unwrap_or(1),
            field: field.to_string(),
            message: message.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> String {
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/beats.yaml")).unwrap()
    }

    fn error_for(text: &str) -> String {
        Taxonomy::parse(Path::new("data/beats.yaml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn shipped_taxonomy_is_valid_and_covers_every_category() {
        let taxonomy = Taxonomy::parse(Path::new("data/beats.yaml"), &shipped()).unwrap();
        assert!(taxonomy.beats.len() >= 24, "{}", taxonomy.beats.len());
        for category in &taxonomy.categories {
            assert!(
                taxonomy.beats.iter().any(|b| b.category == category.slug),
                "{}",
                category.slug
            );
        }
    }

    #[test]
    fn duplicate_slug_names_line_and_field() {
        let text = shipped().replace("slug: regulation", "slug: safety-alignment");
        let line = text
            .lines()
            .position(|l| l.contains("slug: safety-alignment"))
            .unwrap();
        let second = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("slug: safety-alignment"))
            .nth(1)
            .unwrap()
            .0;
        assert!(second > line);
        let err = error_for(&text);
        assert_eq!(
            err,
            format!(
                "data/beats.yaml:{}: beats[3].slug: duplicate beat slug `safety-alignment`",
                second + 1
            )
        );
    }

    #[test]
    fn unknown_category_is_named_with_known_ones() {
        let text = shipped().replacen("category: governance", "category: goverance", 1);
        let err = error_for(&text);
        let line = text
            .lines()
            .position(|l| l.contains("category: goverance"))
            .unwrap()
            + 1;
        assert!(
            err.starts_with(&format!(
                "data/beats.yaml:{line}: beats[3].category: unknown category `goverance`"
            )),
            "{err}"
        );
        assert!(err.contains("governance"), "{err}");
    }

    #[test]
    fn empty_terms_and_bad_weights_are_rejected() {
        let text = shipped().replacen("      \"regulat*\": 3\n", "      \"\": 3\n", 1);
        let err = error_for(&text);
        assert!(
            err.contains("beats[3].terms: empty or padded term ``"),
            "{err}"
        );
        let text = shipped().replacen("\"lawmaker*\": 3", "\"lawmaker*\": 0", 1);
        let err = error_for(&text);
        let line = text
            .lines()
            .position(|l| l.contains("\"lawmaker*\": 0"))
            .unwrap()
            + 1;
        assert!(
            err.starts_with(&format!(
                "data/beats.yaml:{line}: beats[3].terms: `lawmaker*` has weight 0"
            )),
            "{err}"
        );
        let text = shipped().replacen(
            "    terms:\n      \"conscious\": 2",
            "    terms: {}\n    x_terms:\n      \"conscious\": 2",
            1,
        );
        let err = error_for(&text);
        assert!(err.contains("unknown field `x_terms`"), "{err}");
        assert!(err.starts_with("data/beats.yaml:"), "{err}");
    }

    #[test]
    fn weights_outside_the_documented_ranges_point_at_their_own_line() {
        // A term that also appears earlier in the beat (in its description and as part of
        // other terms) is found at its own entry, not at `terms:` or the description.
        let text = shipped().replacen("      \"conscious\": 2\n", "      \"conscious\": 0\n", 1);
        let line = text
            .lines()
            .position(|l| l.contains("\"conscious\": 0"))
            .unwrap()
            + 1;
        assert_eq!(
            error_for(&text),
            format!(
                "data/beats.yaml:{line}: beats[0].terms: `conscious` has weight 0; weights here must be 1 to 3"
            )
        );
        let text = shipped().replacen("\"consciousness\": 3", "\"consciousness\": 7", 1);
        let line = text
            .lines()
            .position(|l| l.contains("\"consciousness\": 7"))
            .unwrap()
            + 1;
        assert!(
            error_for(&text).starts_with(&format!(
                "data/beats.yaml:{line}: beats[0].terms: `consciousness` has weight 7"
            )),
            "{}",
            error_for(&text)
        );
        let text = shipped().replacen("    singularity: 1\n", "    singularity: 4\n", 1);
        let line = text
            .lines()
            .position(|l| l.contains("singularity: 4"))
            .unwrap()
            + 1;
        assert!(
            error_for(&text).starts_with(&format!(
                "data/beats.yaml:{line}: relevance.communities: `singularity` has weight 4"
            )),
            "{}",
            error_for(&text)
        );
        let text = shipped().replacen("\"enemy ai\": 4", "\"enemy ai\": 6", 1);
        let line = text
            .lines()
            .position(|l| l.contains("\"enemy ai\": 6"))
            .unwrap()
            + 1;
        assert!(
            error_for(&text).starts_with(&format!("data/beats.yaml:{line}: relevance.exclusions: `enemy ai` has weight 6; weights here must be 1 to 5")),
            "{}",
            error_for(&text)
        );
    }

    #[test]
    fn syntax_errors_carry_serde_line() {
        let err = error_for("min_score: 2\ncategories: [\n");
        assert!(err.starts_with("data/beats.yaml:"), "{err}");
    }
}

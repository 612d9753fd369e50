//! The entity gazetteer, `data/entities.yaml`: organisations, models, products, people and laws
//! with their spellings. Validated like the taxonomy, errors naming file, line and field. A
//! contract like `beats.yaml`: analysis classifies with it, and `check` and `build` validate it.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::beat::{parse_yaml, TaxonomyError, YamlLocator};

/// Where the gazetteer lives, relative to the site's `data/` folder.
pub const ENTITIES_FILE: &str = "entities.yaml";

/// What sort of thing an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Organisation,
    Model,
    Product,
    Person,
    Law,
    /// A recurring capitalised phrase not in the gazetteer (only produced by analysis).
    Name,
}

/// One named thing and its spellings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// How readers see it.
    pub name: String,
    pub kind: EntityKind,
    /// True when the entity is about AI by itself (OpenAI, ChatGPT); it then counts towards a
    /// record's AI relevance.
    #[serde(default)]
    pub ai: bool,
    /// Spellings, in the term syntax of `data/beats.yaml`.
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// The whole of `data/entities.yaml`.
pub struct Gazetteer {
    pub entities: Vec<Entity>,
}

impl Gazetteer {
    /// Reads and validates `<data>/entities.yaml`.
    pub fn load(data_dir: &Path) -> Result<Gazetteer, TaxonomyError> {
        let path = data_dir.join(ENTITIES_FILE);
        let text = fs::read_to_string(&path).map_err(|source| TaxonomyError::Read {
            path: path.clone(),
            source,
        })?;
        Gazetteer::parse(&path, &text)
    }

    /// Parses and validates gazetteer text; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Gazetteer, TaxonomyError> {
        let gazetteer: Gazetteer = parse_yaml(path, text)?;
        let at = YamlLocator { path, text };
        let mut names = BTreeSet::new();
        for (i, entity) in gazetteer.entities.iter().enumerate() {
            let field = format!("entities[{i}]");
            let line = at.line_of(&format!("name: {}", entity.name), 0);
            if entity.name.trim().is_empty() {
                return Err(at.error(&format!("{field}.name"), line, "must not be empty"));
            }
            if entity.kind == EntityKind::Name {
                return Err(at.error(&format!("{field}.kind"), line, "`name` is reserved for discovered names; use organisation, model, product, person or law"));
            }
            if !names.insert(entity.name.as_str()) {
                let line = at.line_of(&format!("name: {}", entity.name), 1);
                return Err(at.error(
                    &format!("{field}.name"),
                    line,
                    &format!("duplicate entity `{}`", entity.name),
                ));
            }
            if entity.aliases.is_empty() {
                return Err(at.error(
                    &format!("{field}.aliases"),
                    line,
                    "needs at least one alias",
                ));
            }
            for alias in &entity.aliases {
                let core = alias.trim_start_matches('=').trim_end_matches('*');
                if core.trim().is_empty() || core != core.trim() {
                    return Err(at.error(
                        &format!("{field}.aliases"),
                        line,
                        &format!("empty or padded alias `{alias}`"),
                    ));
                }
            }
        }
        Ok(gazetteer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_gazetteer_is_valid() {
        let text =
            fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/entities.yaml")).unwrap();
        let gazetteer = Gazetteer::parse(Path::new("data/entities.yaml"), &text).unwrap();
        assert!(gazetteer
            .entities
            .iter()
            .any(|e| e.name == "Anthropic" && e.ai));
    }

    #[test]
    fn errors_name_line_and_field() {
        let text = "entities:\n  - {name: A, kind: person, aliases: [a]}\n  - {name: A, kind: law, aliases: [b]}\n";
        let err = Gazetteer::parse(Path::new("data/entities.yaml"), text)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "data/entities.yaml:3: entities[1].name: duplicate entity `A`"
        );
        let text = "entities:\n  - {name: A, kind: company, aliases: [a]}\n";
        let err = Gazetteer::parse(Path::new("data/entities.yaml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("data/entities.yaml:2: entities[0].kind: unknown variant `company`"),
            "{err}"
        );
        let text = "entities:\n  - {name: A, kind: person, aliases: [\"\"]}\n";
        let err = Gazetteer::parse(Path::new("data/entities.yaml"), text)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "data/entities.yaml:2: entities[0].aliases: empty or padded alias ``"
        );
    }
}

//! The learned classifier (static embedding + keyword evidence → relevance and primary beat):
//! known answers on real records, its figures on the held-out test split, determinism across
//! runs and input order, training that reproduces its file, and clear errors for a missing or
//! stale `data/classifier.json`.

use std::path::Path;

use crate::common;
use common::ANALYSIS_FILES;

use zeitgeist::analyze::embed::StaticModel;
use zeitgeist::analyze::eval::{self, read_labelled, Labelled};
use zeitgeist::analyze::learned::CLASSIFIER_FILE;
use zeitgeist::analyze::{self, train, Classifier, Gazetteer};
use zeitgeist::model::{Record, Taxonomy};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn labelled(name: &str) -> Vec<Labelled> {
    read_labelled(&root().join("tests/data").join(name)).unwrap()
}

fn keywords() -> Classifier {
    let data = root().join("data");
    Classifier::new(
        Taxonomy::load(&data).unwrap(),
        Gazetteer::load(&data).unwrap(),
    )
}

/// Records whose answers a person decided by reading (tests/data/known.jsonl): a Japanese post
/// about ChatGPT is about AI; Japanese game news whose only "AI" is the account's name is not.
#[test]
fn known_answers_on_real_records_in_other_languages() {
    let classifier = Classifier::load(root()).unwrap();
    for item in labelled("known.jsonl") {
        let annotation = classifier.annotate(&item.record);
        assert_eq!(
            annotation.relevant, item.label.relevant,
            "{}: {:?}",
            item.record.id, item.stratum
        );
    }
}

/// The held-out test split (never trained or tuned on): relevance F1 at least 0.95, and the
/// primary beat well above the keyword classifier's 47% top-1 / 59% top-2 on the same records.
#[test]
fn test_split_figures_hold() {
    let classifier = Classifier::load(root()).unwrap();
    let items = labelled("labelled/test.jsonl");
    let records: Vec<Record> = items.iter().map(|l| l.record.clone()).collect();
    let report = eval::evaluate(
        &classifier,
        &items,
        &analyze::annotate_all(&classifier, &records),
    );
    let overall = &report.overall;
    assert!(overall.relevance.f1() >= 0.95, "{:?}", overall);
    assert!(
        overall.primary.top1_share() >= 0.55,
        "{:?}",
        overall.primary
    );
    assert!(
        overall.primary.top2_share() >= 0.70,
        "{:?}",
        overall.primary
    );
}

/// Every relevant record gets a primary beat or an explicit `general`, with up to three scored
/// choices, and the same records give the same annotations in any order.
#[test]
fn annotations_are_complete_and_independent_of_order() {
    let classifier = Classifier::load(root()).unwrap();
    let mut records: Vec<Record> = labelled("labelled/dev.jsonl")
        .into_iter()
        .map(|l| l.record)
        .collect();
    let forward = analyze::annotate_all(&classifier, &records);
    for annotation in forward.iter().filter(|a| a.relevant) {
        assert!(!annotation.choices.is_empty() && annotation.choices.len() <= 3);
        let first = annotation.choices[0];
        assert_eq!(annotation.primary_beat(), first.beat);
        assert!(annotation
            .choices
            .windows(2)
            .all(|w| w[0].probability >= w[1].probability));
    }
    records.reverse();
    let mut backward = analyze::annotate_all(&classifier, &records);
    backward.reverse();
    assert_eq!(forward, backward);
}

/// `classify` explains a record by its three best classes and the labelled examples nearest to
/// it; a record about local models resembles labelled local-model records.
#[test]
fn explanations_show_choices_terms_and_nearest_examples() {
    let classifier = Classifier::load(root()).unwrap();
    let item = labelled("labelled/test.jsonl")
        .into_iter()
        .find(|l| l.label.beat.as_deref() == Some("open-local-models") && l.label.confident)
        .unwrap();
    let annotation = classifier.annotate(&item.record);
    let explanation = classifier.explain(&item.record, &annotation);
    assert_eq!(explanation.choices.len(), 3);
    assert_eq!(explanation.nearest.len(), 3);
    assert!(
        explanation
            .nearest
            .windows(2)
            .all(|w| w[0].similarity >= w[1].similarity),
        "{:?}",
        explanation.nearest
    );
    let json = serde_json::to_value(&explanation).unwrap();
    assert!(json["choices"][0]["probability"].as_f64().unwrap() > 0.0);
    assert!(json["nearest"][0]["id"].as_str().unwrap().contains(':'));
}

/// Training is a pure function of its labels: two runs on the same records write the same
/// model, and the model scores its own training records sensibly.
#[test]
fn training_twice_gives_the_same_model() {
    let embedder = StaticModel::load_bundled(root()).unwrap();
    let sha = embedder.file_sha256().unwrap().to_string();
    let train_items: Vec<Labelled> = labelled("labelled/train.jsonl")
        .into_iter()
        .take(300)
        .collect();
    let dev_items: Vec<Labelled> = labelled("labelled/dev.jsonl")
        .into_iter()
        .take(100)
        .collect();
    let fit = || {
        let model = train::train(
            &keywords(),
            &embedder,
            &sha,
            &train_items,
            &dev_items,
            &mut |_| {},
        )
        .unwrap();
        serde_json::to_string(&model).unwrap()
    };
    let first = fit();
    assert_eq!(first, fit());
    let model: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(model["training"]["train_records"], 300);
    assert!(model["training"]["dev_relevance_f1"].as_f64().unwrap() > 0.8);
}

/// A missing, malformed or stale classifier file is an error naming the file and the command
/// that fixes it — never a silent fall-back to keywords alone.
#[test]
fn a_bad_classifier_file_is_a_clear_error() {
    let site = tempfile::tempdir().unwrap();
    for file in ANALYSIS_FILES
        .iter()
        .filter(|f| !f.ends_with("classifier.json"))
    {
        common::copy_tree(&root().join(file), &site.path().join(file));
    }
    let error = |site: &Path| Classifier::load(site).unwrap_err().to_string();
    let missing = error(site.path());
    assert!(
        missing.contains("data/classifier.json: is missing"),
        "{missing}"
    );
    assert!(missing.contains("zeitgeist model train"), "{missing}");

    let path = site.path().join(CLASSIFIER_FILE);
    std::fs::write(&path, "{\"format\": ").unwrap();
    let malformed = error(site.path());
    assert!(
        malformed.contains("is not a classifier file"),
        "{malformed}"
    );

    let mut model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join(CLASSIFIER_FILE)).unwrap()).unwrap();
    model["beats"]["classes"][0] = "not-a-beat".into();
    std::fs::write(&path, model.to_string()).unwrap();
    let stale = error(site.path());
    assert!(stale.contains("another list of beats"), "{stale}");

    model["beats"]["classes"][0] = serde_json::Value::from("minds-personhood");
    model["embedding_sha256"] = "00".into();
    std::fs::write(&path, model.to_string()).unwrap();
    let other = error(site.path());
    assert!(other.contains("another embedding model"), "{other}");
}

//! The offline writer's phrasebook: every sentence shape that varies between stories, as data.
//!
//! A slot (the headline of a rise, the opening of the rise paragraph, …) has a few phrasings;
//! the one a story uses is chosen by a hash of the pack's topic and the slot's name, so the same
//! evidence always reads the same way and two stories on different topics rarely read alike.
//! A phrasing names the figures it needs as `{name}` placeholders, filled by [`fill`]; a
//! phrasing that needs what the evidence lacks (a leading platform, a rise worth a "-fold")
//! gives way to its set's last phrasing, which needs nothing. Adding a phrasing to a set changes
//! which one some topics get, so published stories would read differently on a replay.

/// What a phrasing needs beyond the figures every phrasing of its slot gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    Nothing,
    /// One platform holds more than half the story's posts (`{leader}`).
    Leader,
    /// A leading platform and a rise of at least three times the usual volume (`{fold}`).
    LeaderAndThreefold,
}

/// One sentence shape.
pub(super) struct Phrasing {
    pub needs: Needs,
    pub text: &'static str,
}

/// The phrasings of one slot and the placeholders its caller fills.
pub(super) struct Phrasings {
    /// Hashed with the topic to choose a phrasing; sets sharing a name choose alike.
    pub slot: &'static str,
    /// The placeholders the caller gives (a phrasing may leave some unused).
    pub names: &'static [&'static str],
    pub phrasings: &'static [Phrasing],
}

impl Phrasings {
    /// The phrasing for `topic`: the same one every time, or the set's last when `met` says the
    /// chosen one's needs are not met.
    pub fn choose(&self, topic: &str, met: impl Fn(Needs) -> bool) -> &'static str {
        let hash = fnv1a(format!("{topic}\u{0}{}", self.slot).as_bytes());
        let chosen = &self.phrasings[(hash % self.phrasings.len() as u64) as usize];
        if met(chosen.needs) {
            chosen.text
        } else {
            self.phrasings[self.phrasings.len() - 1].text
        }
    }
}

const fn any(text: &'static str) -> Phrasing {
    Phrasing {
        needs: Needs::Nothing,
        text,
    }
}

const fn with(needs: Needs, text: &'static str) -> Phrasing {
    Phrasing { needs, text }
}

/// What every headline is given: the subject as it reads mid-sentence and capitalised, the
/// window's posts ("12 posts") and span ("in a day"), the leading platform (empty without one)
/// and the beat in lower case.
const HEADLINE: [&str; 6] = ["subject", "Subject", "posts", "within", "leader", "beat"];

/// The headline when platforms split in tone.
pub(super) const HEADLINE_DIVERGENCE: Phrasings = Phrasings {
    slot: "headline",
    names: &["subject", "warm", "cool"],
    phrasings: &[
        any("{warm} and {cool} split over {subject}"),
        any("Talk of {subject} runs warmer on {warm} than on {cool}"),
    ],
};

/// The headline of a name new to the conversations followed.
pub(super) const HEADLINE_NOVELTY: Phrasings = Phrasings {
    slot: "headline",
    names: &HEADLINE,
    phrasings: &[
        with(
            Needs::Leader,
            "New on the radar: {subject}, with {posts} {within}, most of them on {leader}",
        ),
        any("A new name on the {beat} beat: {Subject}"),
    ],
};

/// The headline of a subject that did not come up at all in the baseline (`{weeks}`: its length
/// in weeks, as a word).
pub(super) const HEADLINE_FROM_NOTHING: Phrasings = Phrasings {
    slot: "headline",
    names: &[
        "subject", "Subject", "posts", "within", "leader", "beat", "weeks",
    ],
    phrasings: &[
        any("{Subject} draws {posts} {within} after {weeks} quiet weeks"),
        any("{Subject} surfaces with {posts} {within}, after {weeks} weeks of silence"),
    ],
};

/// The headline of a subject that came up less than once per window before.
pub(super) const HEADLINE_FROM_TRICKLE: Phrasings = Phrasings {
    slot: "headline",
    names: &HEADLINE,
    phrasings: &[
        any("{Subject} draws {posts} {within}, where fewer than one is usual"),
        any("Talk of {subject} jumps from a trickle to {posts} {within}"),
    ],
};

/// The headline of a stated multiple of the usual volume.
pub(super) const HEADLINE_TIMES: Phrasings = Phrasings {
    slot: "headline",
    names: &[
        "subject", "Subject", "posts", "within", "leader", "beat", "Posts", "multiple", "fold",
    ],
    phrasings: &[
        with(
            Needs::Leader,
            "Talk of {subject} runs at {multiple} its usual pace, with {leader} loudest",
        ),
        with(
            Needs::LeaderAndThreefold,
            "{leader} leads a roughly {fold} jump in talk of {subject}",
        ),
        any("{Posts} on {subject} {within}, {multiple} the usual number"),
        any("{Subject}: {posts} {within}, {multiple} the norm"),
    ],
};

/// The rise paragraph's opening (`{usual}`: the sentence on the usual volume).
pub(super) const RISE: Phrasings = Phrasings {
    slot: "rise",
    names: &["subject", "posts", "span", "usual"],
    phrasings: &[
        any("In {span}, {subject} came up in {posts} across the platforms we follow. {usual}"),
        any("Talk of {subject} picked up: {posts} in {span}. {usual}"),
    ],
};

/// The rise paragraph's sentence on the beat, category and intensity.
pub(super) const RISE_BEAT: Phrasings = Phrasings {
    slot: "rise-beat",
    names: &["beat", "category", "intensity"],
    phrasings: &[
        any("The story belongs to our {beat} beat, in {category}, and we rate its intensity {intensity}."),
        any("We file it under {beat} ({category}), at {intensity} intensity."),
    ],
};

/// Where the posts came from, when one platform carried the most of several.
pub(super) const WHERE: Phrasings = Phrasings {
    slot: "where",
    names: &["leader", "total", "leading", "share", "others"],
    phrasings: &[
        any("{leader} carried the most of the {total} posts this story draws on: {leading}, or {share}%, with {others}."),
        any("Of the {total} posts this story draws on, {leading} came from {leader} ({share}%), with {others}."),
    ],
};

/// The opening of the voices paragraph (`{introduced}`: the most-engaged post, introduced).
pub(super) const VOICES: Phrasings = Phrasings {
    slot: "voices",
    names: &["introduced"],
    phrasings: &[
        any("The most-discussed entry was {introduced}"),
        any("Nothing drew more attention than {introduced}"),
    ],
};

/// Platforms that differ in tone.
pub(super) const DIFFER: Phrasings = Phrasings {
    slot: "differ",
    names: &["warm", "warm_score", "warm_tone", "cool", "cool_score", "cool_tone"],
    phrasings: &[
        any("The platforms did not sound alike. Posts on {warm} averaged a sentiment score of {warm_score}, {warm_tone}, while {cool} sat at {cool_score}, {cool_tone}."),
        any("Tone split by platform: {warm} came out {warm_tone} (mean sentiment score {warm_score}), {cool} {cool_tone} ({cool_score})."),
    ],
};

/// Several other names that recur across the posts.
pub(super) const NAMES: Phrasings = Phrasings {
    slot: "names",
    names: &["subject", "names"],
    phrasings: &[
        any("Other names recur across the posts: {names}."),
        any("Beyond {subject}, the names that come up most are {names}."),
    ],
};

/// Every set, for the tests.
#[cfg(test)]
const ALL: [&Phrasings; 11] = [
    &HEADLINE_DIVERGENCE,
    &HEADLINE_NOVELTY,
    &HEADLINE_FROM_NOTHING,
    &HEADLINE_FROM_TRICKLE,
    &HEADLINE_TIMES,
    &RISE,
    &RISE_BEAT,
    &WHERE,
    &VOICES,
    &DIFFER,
    &NAMES,
];

/// `template` with each `{name}` replaced by its value in `values`, in one pass (a value's own
/// braces are never read as placeholders). A name the caller does not give is a bug in the
/// phrasebook, which the tests rule out.
pub(super) fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('{') {
        let (name, tail) = after
            .split_once('}')
            .unwrap_or_else(|| panic!("phrasing {template:?}: unclosed placeholder"));
        let value = values
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("phrasing {template:?} names {{{name}}}, not given"));
        out.push_str(before);
        out.push_str(value.1);
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The placeholders a phrasing names.
#[cfg(test)]
fn placeholders(text: &str) -> Vec<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .collect()
}

/// FNV-1a: a stable hash (std's hasher may change between releases) for choosing phrasings.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrasing_names_only_what_its_caller_gives() {
        for set in ALL {
            for phrasing in set.phrasings {
                for name in placeholders(phrasing.text) {
                    assert!(
                        set.names.contains(&name),
                        "{}: {:?} names {{{name}}}",
                        set.slot,
                        phrasing.text
                    );
                }
            }
            let last = &set.phrasings[set.phrasings.len() - 1];
            assert_eq!(
                last.needs,
                Needs::Nothing,
                "{}: the fallback needs nothing",
                set.slot
            );
        }
    }

    #[test]
    fn the_choice_is_stable_and_falls_back_to_the_last() {
        // Pinned: changing the hash or the rule would reword every published story on a replay.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        let topic = (0..100)
            .map(|i| format!("topic-{i}"))
            .find(|t| HEADLINE_NOVELTY.choose(t, |_| true) == HEADLINE_NOVELTY.phrasings[0].text)
            .unwrap();
        assert_eq!(
            HEADLINE_NOVELTY.choose(&topic, |needs| needs == Needs::Nothing),
            HEADLINE_NOVELTY.phrasings[1].text
        );
    }

    #[test]
    fn fill_reads_placeholders_once() {
        assert_eq!(
            fill("{a} and {b}", &[("a", "{b}"), ("b", "x")]),
            "{b} and x"
        );
        assert_eq!(fill("no names", &[]), "no names");
    }
}

//! The offline writer's phrasebook: every sentence shape that varies between stories, as data.
//!
//! A slot (the headline of a warm reception, the volume sentence, …) has a few phrasings;
//! the one a story uses is chosen by a hash of the pack's topic and the slot's name, so the same
//! evidence always reads the same way and two stories on different topics rarely read alike.
//! A phrasing names the figures it needs as `{name}` placeholders, filled by [`fill`]; the
//! choice is among the phrasings whose needs the evidence meets (a short title, a strand's key
//! phrases), and falls back to those that need nothing; each set ends with one. Adding a
//! phrasing to a set changes which one some topics get, so published stories would read
//! differently on a replay.

/// What a phrasing needs beyond the figures every phrasing of its slot gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    Nothing,
    /// The lead item's title is a short statement (`{title}`), not a question.
    Title,
    /// The lead item's title is a short question (`{title}`).
    Question,
    /// A strongest strand with key phrases (`{terms}`, `{term}`, `{Terms}`).
    Terms,
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
    /// The phrasing for `topic`: the same one every time, chosen by hash among the phrasings
    /// whose needs the evidence meets (`met`) — those that need something first, since they say
    /// more; the ones that need nothing only when no other is met.
    pub fn choose(&self, topic: &str, met: impl Fn(Needs) -> bool) -> &'static str {
        let hash = fnv1a(format!("{topic}\u{0}{}", self.slot).as_bytes());
        let pick = |wanted: &dyn Fn(&Phrasing) -> bool| {
            let options: Vec<&Phrasing> = self.phrasings.iter().filter(|p| wanted(p)).collect();
            (!options.is_empty()).then(|| options[(hash % options.len() as u64) as usize].text)
        };
        pick(&|p| p.needs != Needs::Nothing && met(p.needs))
            .or_else(|| pick(&|p| p.needs == Needs::Nothing))
            .unwrap_or(self.phrasings[self.phrasings.len() - 1].text)
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

/// What every headline is given: the subject mid-sentence and capitalised, where the lead item
/// surfaced (`r/LocalLLaMA`, `Hacker News`) and the same capitalised, the lead item's title, the
/// strongest strand's key phrases (`terms`: one or two joined by "and"; `term`: the first).
const HEADLINE: &[&str] = &[
    "subject", "Subject", "where", "Where", "title", "terms", "Terms", "term",
];

/// Headlines when people took it warmly. No phrasing makes the subject the grammatical subject
/// of a verb: "local models gets" would not agree.
pub(super) const HEADLINE_WARM: Phrasings = Phrasings {
    slot: "headline",
    names: HEADLINE,
    phrasings: &[
        with(
            Needs::Terms,
            "{Where} warms to {subject}, with talk of {terms}",
        ),
        with(
            Needs::Terms,
            "Praise for {subject} on {where}, where talk turns to {terms}",
        ),
        with(Needs::Title, "“{title}”: {where} likes what it sees"),
        with(
            Needs::Terms,
            "Upbeat talk of {subject} on {where}, much of it about {term}",
        ),
        with(Needs::Terms, "{Terms}: what {where} likes about {subject}"),
        with(Needs::Title, "After “{title}”, an upbeat {where} weighs in"),
        with(
            Needs::Question,
            "{Where} asks “{title}”, and the replies are upbeat",
        ),
        with(
            Needs::Terms,
            "Enthusiasm for {subject} on {where} centres on {terms}",
        ),
        any("A warm reception for {subject} on {where}"),
    ],
};

/// Headlines when the tone was mixed.
pub(super) const HEADLINE_EVEN: Phrasings = Phrasings {
    slot: "headline",
    names: HEADLINE,
    phrasings: &[
        with(
            Needs::Terms,
            "{Where} weighs {subject}, and the talk turns to {terms}",
        ),
        with(
            Needs::Terms,
            "A measured debate about {terms} as {where} weighs {subject}",
        ),
        with(
            Needs::Terms,
            "Talk of {subject} on {where} turns on {terms}",
        ),
        with(Needs::Title, "“{title}”: how {where} took it"),
        with(
            Needs::Terms,
            "On {where}, questions of {term} follow {subject}",
        ),
        with(Needs::Terms, "{Subject}: {where} picks over {terms}"),
        with(Needs::Title, "After “{title}”, {where} argues it out"),
        with(
            Needs::Question,
            "{Where} asks “{title}”, and opinion splits",
        ),
        any("{Where} is of two minds about {subject}"),
        any("Mixed feelings about {subject} on {where}"),
        any("Opinion on {subject} divides {where}"),
    ],
};

/// Headlines when people took it coolly.
pub(super) const HEADLINE_COOL: Phrasings = Phrasings {
    slot: "headline",
    names: HEADLINE,
    phrasings: &[
        with(
            Needs::Terms,
            "{Where} is wary of {subject}, with {terms} in question",
        ),
        with(
            Needs::Terms,
            "Scepticism greets {subject} on {where}, much of it about {term}",
        ),
        with(Needs::Title, "“{title}”: {where} is not convinced"),
        with(
            Needs::Terms,
            "Doubts about {term} shadow talk of {subject} on {where}",
        ),
        with(
            Needs::Terms,
            "Worries over {terms} as {where} weighs {subject}",
        ),
        with(
            Needs::Title,
            "After “{title}”, a sceptical {where} pushes back",
        ),
        with(
            Needs::Question,
            "{Where} asks “{title}”, and the answers are wary",
        ),
        any("A cool reception for {subject} on {where}"),
    ],
};

/// Headlines for a lone post with no replies in the records: what happened, and that it drew
/// notice (it is an event because of the attention it got), but no reception the records do
/// not show.
pub(super) const HEADLINE_REPORT: Phrasings = Phrasings {
    slot: "headline",
    names: HEADLINE,
    phrasings: &[
        with(Needs::Title, "“{title}”: {where} takes note"),
        with(Needs::Title, "On {where}: “{title}”"),
        with(Needs::Question, "{Where} asks: “{title}”"),
        with(Needs::Title, "{Where} picks up “{title}”"),
        with(Needs::Title, "“{title}” draws notice on {where}"),
        with(Needs::Question, "A post on {where} asks “{title}”"),
        with(Needs::Title, "From {where}, on {subject}: “{title}”"),
        with(Needs::Title, "{Subject}: “{title}”"),
        with(Needs::Title, "Making the rounds on {where}: “{title}”"),
        with(Needs::Title, "{Where} reads “{title}”"),
        with(Needs::Title, "Noted on {where}: “{title}”"),
        any("{Where} turns to {subject}"),
        any("A post about {subject} draws notice on {where}"),
        any("{Where} on {subject}: one post goes further"),
        any("One post on {subject} stands out on {where}"),
    ],
};

/// The lead paragraph's verb for the attention the lead item drew.
pub(super) const DREW: Phrasings = Phrasings {
    slot: "drew",
    names: &["item", "item_cap", "attention", "date"],
    phrasings: &[
        any("On {date}, {item} drew {attention}."),
        any("{item_cap} went up on {date} and drew {attention}."),
        any("The conversation centres on {item}, posted on {date}, which drew {attention}."),
    ],
};

/// The volume sentence (`{usual}`: how it compares with the usual volume).
pub(super) const VOLUME: Phrasings = Phrasings {
    slot: "volume",
    names: &["subject", "posts", "span", "usual"],
    phrasings: &[
        any("In {span}, {subject} came up in {posts} across the platforms we follow, {usual}."),
        any("Talk of {subject} picked up: {posts} in {span}, {usual}."),
        any("Across the platforms we follow, {posts} mentioned {subject} in {span}, {usual}."),
    ],
};

/// The sentence before the strands (`{n}`: how many, in words; `{records}`: what the pack's
/// records are, "posts and comments", "posts").
pub(super) const STRANDS: Phrasings = Phrasings {
    slot: "strands",
    names: &["n", "records"],
    phrasings: &[
        any("What people said falls into {n} strands."),
        any("The {records} run along {n} strands."),
        any("Read together, the {records} divide into {n} strands."),
    ],
};

/// A comment quoted after an attribution (`{where}`: "In r/LocalLLaMA", "On Hacker News").
pub(super) const COMMENTER: Phrasings = Phrasings {
    slot: "commenter",
    names: &["where", "quote"],
    phrasings: &[
        any("{where}, one commenter wrote: {quote}"),
        any("{where}, a commenter put it this way: {quote}"),
        any("{where}, one reply read: {quote}"),
    ],
};

/// Each set, for the tests.
#[cfg(test)]
const ALL: [&Phrasings; 8] = [
    &HEADLINE_WARM,
    &HEADLINE_EVEN,
    &HEADLINE_COOL,
    &HEADLINE_REPORT,
    &DREW,
    &VOLUME,
    &STRANDS,
    &COMMENTER,
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
    fn the_choice_is_stable_and_gives_way_to_what_the_evidence_allows() {
        // Pinned: changing the hash or the rule would reword every published story on a replay.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        for i in 0..50 {
            let topic = format!("topic-{i}");
            let chosen = HEADLINE_EVEN.choose(&topic, |needs| needs == Needs::Nothing);
            assert!(
                HEADLINE_EVEN
                    .phrasings
                    .iter()
                    .any(|p| p.text == chosen && p.needs == Needs::Nothing),
                "{chosen}: a phrasing that needs nothing"
            );
            let titled = HEADLINE_EVEN.choose(&topic, |needs| needs != Needs::Terms);
            assert!(!titled.contains("{term"), "{titled}");
            let report = HEADLINE_REPORT.choose(&topic, |needs| needs != Needs::Question);
            assert!(
                report.contains("{title}") && !report.contains("asks"),
                "a usable title is used: {report}"
            );
        }
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

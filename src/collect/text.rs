//! Plain text from the HTML that platforms put in posts (Mastodon `content`, HN `comment_text`,
//! feed summaries, YouTube titles with entities). A real HTML tokenizer does the work so every
//! entity and odd tag is handled as a browser would; block tags become line breaks.

use std::cell::RefCell;

use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Tags after which text continues on a new line.
const BLOCK_TAGS: [&str; 14] = [
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "tr",
    "hr",
];

/// Tags whose contents are never text.
const HIDDEN_TAGS: [&str; 2] = ["script", "style"];

struct TextSink {
    out: RefCell<String>,
    hidden_depth: RefCell<usize>,
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::CharacterTokens(text) if *self.hidden_depth.borrow() == 0 => {
                self.out.borrow_mut().push_str(&text)
            }
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                if HIDDEN_TAGS.contains(&name) {
                    let mut depth = self.hidden_depth.borrow_mut();
                    match tag.kind {
                        TagKind::StartTag => *depth += 1,
                        TagKind::EndTag => *depth = depth.saturating_sub(1),
                    }
                } else if BLOCK_TAGS.contains(&name) {
                    self.out.borrow_mut().push('\n');
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// The visible text of an HTML fragment: tags dropped, entities decoded, block elements on their
/// own lines, runs of spaces collapsed, blank lines collapsed, trimmed.
pub fn html_to_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return normalize_whitespace(html);
    }
    let sink = TextSink {
        out: RefCell::new(String::new()),
        hidden_depth: RefCell::new(0),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(html.into());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let text = tokenizer.sink.out.take();
    normalize_whitespace(&text)
}

/// Collapses spaces within lines and empty lines between them; keeps paragraph breaks as one
/// newline.
pub fn normalize_whitespace(text: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_go_entities_decode_and_paragraphs_break() {
        let html = "I believe they&#x27;re right.<p>Really it&#x27;s <a href=\"x\">all</a> &amp; more.<script>x()</script>";
        assert_eq!(
            html_to_text(html),
            "I believe they're right.\nReally it's all & more."
        );
        assert_eq!(
            html_to_text("SURFING &amp; Jamie O&#39;Brien"),
            "SURFING & Jamie O'Brien"
        );
        assert_eq!(html_to_text("  plain\n\n  text  "), "plain\ntext");
    }
}

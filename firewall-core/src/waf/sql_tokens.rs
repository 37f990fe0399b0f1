//! A SQL tokenizer for values, after libinjection's: it reads the first
//! tokens of a value as a SQL parser would read them if the value were
//! pasted into a query, and gives each the class that matters for telling
//! an injection from text (a string, a number, a word, a logic operator,
//! `UNION`, a statement keyword...). Comments in the middle are dropped
//! (`UNION/**/SELECT` is `UNION SELECT`), `MySQL`'s executable comments
//! (`/*!50000SELECT*/`) are read as their content, a comment running to the
//! end of the value is one token, and a unary sign or `NOT` before an
//! operand is dropped.
//!
//! Only the first [`MAX_TOKENS`] tokens are read: an injection shows in
//! how a value starts, and the cost stays bounded whatever its length.

/// How many tokens of a value are read.
pub(crate) const MAX_TOKENS: usize = 10;

/// The class of a token, as libinjection's fingerprint letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// A quoted string (`'...'`, `"..."`), closed or not.
    Str,
    /// A number (`1`, `0x41`, `1e3`, `.5`), or `TRUE`, `FALSE`, `NULL`.
    Number,
    /// A name: a column, a table, a word of text.
    Word,
    /// A variable (`@x`, `@@version`).
    Variable,
    /// A name followed by `(`: a function call.
    Function,
    /// `AND`, `OR`, `XOR`, `&&`, `||`.
    Logic,
    /// `UNION`.
    Union,
    /// A statement keyword (`SELECT`, `INSERT`, `DROP`, `EXEC`, `WAITFOR`...).
    Statement,
    /// A clause (`ORDER BY`, `GROUP BY`, `HAVING`, `LIMIT`, `INTO`, `PROCEDURE`).
    Clause,
    /// Another keyword (`FROM`, `WHERE`, `TABLE`, `ALL`, `DELAY`...).
    Keyword,
    /// An operator (`=`, `<>`, `+`, `LIKE`, `IN`, `BETWEEN`, `::`...).
    Operator,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,`.
    Comma,
    /// `;`.
    Semicolon,
    /// A comment running to the end of the value (`--`, `#`, an unclosed `/*`).
    Comment,
}

/// One token: its class and, for words and keywords, the word (lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// Its class.
    pub class: Class,
    /// The word, for names and keywords (empty otherwise).
    pub word: &'a str,
}

/// The first tokens of a value (at most [`MAX_TOKENS`]), held in place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tokens<'a> {
    held: [Token<'a>; MAX_TOKENS],
    len: usize,
}

impl<'a> Tokens<'a> {
    const EMPTY: Token<'static> = Token {
        class: Class::Comment,
        word: "",
    };

    fn new() -> Self {
        Self {
            held: [Self::EMPTY; MAX_TOKENS],
            len: 0,
        }
    }

    /// The tokens read.
    pub(crate) fn as_slice(&self) -> &[Token<'a>] {
        &self.held[..self.len]
    }

    fn len(&self) -> usize {
        self.len
    }

    fn last(&self) -> Option<&Token<'a>> {
        self.as_slice().last()
    }

    fn last_mut(&mut self) -> Option<&mut Token<'a>> {
        self.held[..self.len].last_mut()
    }

    fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    fn push(&mut self, token: Token<'a>) {
        if let Some(slot) = self.held.get_mut(self.len) {
            *slot = token;
            self.len += 1;
        }
    }
}

/// The first `limit` tokens of `text` (lower-cased; at most
/// [`MAX_TOKENS`]). When `quote` is a quote character, the text is read as
/// if it followed that quote: its first token is the string up to the
/// closing quote, and `None` is returned when there is none (the value
/// could not close a string).
///
/// The detector reads tokens as it needs them ([`LazyTokens`]); this
/// reading of them all at once is what the tests compare it with.
#[cfg(test)]
pub(crate) fn tokenize(text: &str, quote: Option<u8>, limit: usize) -> Option<Tokens<'_>> {
    let mut reader = Reader::new(text);
    if quote.is_some_and(|q| !reader.open_string(q)) {
        return None;
    }
    let limit = limit.min(MAX_TOKENS);
    while reader.tokens.len() < limit && reader.next() {}
    Some(reader.tokens)
}

/// The tokens of a value (at most [`MAX_TOKENS`], as [`tokenize`] reads
/// them), read only as far as they are asked for: most values are told
/// from SQL by their first two or three tokens, and the rest is never read.
///
/// A token is handed out once reading on cannot change it: only the last
/// token read can change (a unary sign or `NOT` is dropped when an operand
/// follows it), so token `i` is final once token `i + 1` is read, or when
/// it is not a unary operator, or at the end.
pub(crate) struct LazyTokens<'a> {
    reader: Reader<'a>,
    /// No token is left to read.
    done: bool,
}

impl<'a> LazyTokens<'a> {
    /// The tokens of `text` (built in place: no `Option` around them,
    /// which would copy them).
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            reader: Reader::new(text),
            done: false,
        }
    }

    /// Reads the text as if it followed `quote`, as [`tokenize`] does
    /// (before any token is asked for): false when it holds no quote to
    /// close that string.
    pub(crate) fn after_quote(&mut self, quote: u8) -> bool {
        self.reader.open_string(quote)
    }

    /// Token `i`, as [`tokenize`] with [`MAX_TOKENS`] reads it.
    pub(crate) fn get(&mut self, i: usize) -> Option<Token<'a>> {
        while !self.done && !self.is_final(i) {
            self.done = self.reader.tokens.len() >= MAX_TOKENS || !self.reader.next();
        }
        self.reader.tokens.as_slice().get(i).copied()
    }

    /// The class of token `i`.
    pub(crate) fn class(&mut self, i: usize) -> Option<Class> {
        self.get(i).map(|t| t.class)
    }

    /// The word of token `i` (empty when it has none, or there is none).
    pub(crate) fn word(&mut self, i: usize) -> &'a str {
        self.get(i).map_or("", |t| t.word)
    }

    fn is_final(&self, i: usize) -> bool {
        let read = self.reader.tokens.as_slice();
        // `ORDER` and `GROUP` take the `BY` after them (their class stays).
        read.len() > i + 1
            || read
                .get(i)
                .is_some_and(|t| !is_unary(t) && !matches!(t.word, "order" | "group"))
    }
}

/// The bytes of a plain word ([`plain_token`]): lower-case ASCII letters,
/// digits and the bytes of letters that are not ASCII.
const PLAIN_WORD: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b >= b'a' as usize && b <= b'z' as usize)
            || (b >= b'0' as usize && b <= b'9' as usize)
            || b >= 0x80;
        b += 1;
    }
    table
};

/// Where the string opened before `from` by `quote` ends in `bytes`
/// (after its closing quote): a doubled quote or a backslash escapes one.
/// `None` when it does not end.
pub(crate) fn string_end(bytes: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut i = from;
    while let Some(offset) = memchr::memchr2(quote, b'\\', &bytes[i.min(bytes.len())..]) {
        let at = i + offset;
        if bytes[at] == b'\\' || bytes.get(at + 1) == Some(&quote) {
            i = at + 2;
        } else {
            return Some(at + 1);
        }
    }
    None
}

/// The token at `at` of `text` when it is plain, with its class and the
/// end of its letters or digits: a word of lower-case letters and digits
/// that is not called (no `(` after it) and ends at a byte that is
/// no word byte, or a run of digits. The class is the one the reader gives
/// it; the end is where the reader ends it when a blank follows (a number
/// may go on after its digits: `1.5`, `0x41`; a one-letter string prefix
/// is a string: `n'..'`). `None` when it is not plain: the reader decides.
///
/// Prose is read this way without the reader: its first words settle most
/// readings (two operands in a row are no query's tail).
pub(crate) fn plain_token(text: &str, at: usize) -> Option<(Class, usize)> {
    let bytes = text.as_bytes();
    let first = *bytes.get(at)?;
    let mut end = at + 1;
    if first.is_ascii_digit() {
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        return Some((Class::Number, end));
    }
    // Letters of other languages are word bytes too (`zoë`), and never
    // a keyword's.
    if !PLAIN_WORD[usize::from(first)] {
        return None;
    }
    while bytes.get(end).is_some_and(|&b| PLAIN_WORD[usize::from(b)]) {
        end += 1;
    }
    let letters = end - at;
    let after = bytes.get(end).copied();
    if after.is_some_and(is_word_byte) {
        return None;
    }
    if matches!(after, Some(b'\'' | b'"'))
        && letters == 1
        && matches!(first, b'n' | b'x' | b'b' | b'e' | b'q')
    {
        return Some((Class::Str, end));
    }
    // A call (`sleep (5)`, `x(`): its class is the reader's to give.
    if bytes[end..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'(') {
        return None;
    }
    Some((keyword(&text[at..end]), end))
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    tokens: Tokens<'a>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    fn new(text: &'a str) -> Self {
        Reader {
            text,
            bytes: text.as_bytes(),
            at: 0,
            tokens: Tokens::new(),
        }
    }

    /// Reads the text from its start as the rest of a string `quote`
    /// opened before it: its first token is that string. False when the
    /// text does not close it.
    fn open_string(&mut self, quote: u8) -> bool {
        let Some(end) = self.string_end(0, quote) else {
            return false;
        };
        self.push(Class::Str, "");
        self.at = end;
        true
    }

    fn peek(&self, offset: usize) -> u8 {
        self.bytes.get(self.at + offset).copied().unwrap_or(0)
    }

    fn push(&mut self, class: Class, word: &'a str) {
        // A unary sign or NOT before an operand is dropped: `-1`, `NOT 1=2`.
        let operand = matches!(
            class,
            Class::Number
                | Class::Word
                | Class::Str
                | Class::Variable
                | Class::Function
                | Class::Open
        );
        if operand && self.tokens.last().is_some_and(is_unary) {
            let before = self
                .tokens
                .len()
                .checked_sub(2)
                .map(|i| self.tokens.as_slice()[i]);
            if before.is_none_or(|t| !is_operand(t.class) && t.class != Class::Close) {
                self.tokens.pop();
            }
        }
        self.tokens.push(Token { class, word });
    }

    /// Reads one token; false at the end of the text.
    fn next(&mut self) -> bool {
        let bytes = self.bytes;
        while self.at < bytes.len() {
            let c = bytes[self.at];
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xa0 => self.at += 1,
                b'/' if self.peek(1) == b'*' => {
                    if self.peek(2) == b'!' {
                        // MySQL runs what an executable comment holds.
                        self.at += 3;
                        while self.peek(0).is_ascii_digit() {
                            self.at += 1;
                        }
                    } else if let Some(end) = find(bytes, self.at + 2, b"*/") {
                        self.at = end + 2;
                    } else {
                        self.push(Class::Comment, "");
                        self.at = bytes.len();
                        return false;
                    }
                }
                b'*' if self.peek(1) == b'/' => self.at += 2,
                b'-' if self.peek(1) == b'-' => return self.comment_to_end(),
                b'#' => return self.comment_to_end(),
                _ => return self.token(c),
            }
        }
        false
    }

    fn comment_to_end(&mut self) -> bool {
        self.push(Class::Comment, "");
        self.at = self.bytes.len();
        false
    }

    fn token(&mut self, c: u8) -> bool {
        let start = self.at;
        match c {
            b'\'' | b'"' => {
                self.at = self.string_end(start + 1, c).unwrap_or(self.bytes.len());
                self.push(Class::Str, "");
            }
            b'`' => {
                self.at = self.string_end(start + 1, c).unwrap_or(self.bytes.len());
                self.push(Class::Word, "");
            }
            b'(' => self.single(Class::Open),
            b')' => self.single(Class::Close),
            b',' => self.single(Class::Comma),
            b';' => self.single(Class::Semicolon),
            b'@' => {
                self.at += 1;
                while self.peek(0) == b'@' {
                    self.at += 1;
                }
                self.word_end();
                self.push(Class::Variable, "");
            }
            b'0'..=b'9' => self.number(),
            b'.' if self.peek(1).is_ascii_digit() => self.number(),
            _ if is_word_byte(c) => self.word(),
            _ => self.operator(c),
        }
        true
    }

    fn single(&mut self, class: Class) {
        self.at += 1;
        self.push(class, "");
    }

    /// Where the string opened before `from` by `quote` ends ([`string_end`]).
    fn string_end(&self, from: usize, quote: u8) -> Option<usize> {
        string_end(self.bytes, from, quote)
    }

    fn number(&mut self) {
        let bytes = self.bytes;
        let hex = bytes[self.at] == b'0' && matches!(self.peek(1), b'x' | b'b');
        if hex {
            self.at += 2;
        }
        while self.at < bytes.len() {
            let b = bytes[self.at];
            // `0x41`, `1.5`, `1e3`, `1e-3`; `1union` is read by MySQL as
            // `1 union`.
            let exponent = !hex
                && b == b'e'
                && matches!(self.peek(1), b'0'..=b'9' | b'-' | b'+')
                && self.at > 0
                && bytes[self.at - 1].is_ascii_digit();
            if exponent {
                self.at += 2;
            } else if b.is_ascii_digit() || b == b'.' || (hex && b.is_ascii_hexdigit()) {
                self.at += 1;
            } else {
                break;
            }
        }
        self.push(Class::Number, "");
    }

    fn word_end(&mut self) {
        while self.at < self.bytes.len() && is_word_byte(self.bytes[self.at]) {
            self.at += 1;
        }
    }

    fn word(&mut self) {
        let start = self.at;
        self.word_end();
        // After an escape a string may end inside a character: a word
        // starting there is read without its text.
        let word = self.text.get(start..self.at).unwrap_or("");
        // `N'...'`, `X'41'`, `B'01'`, `E'...'`, `_utf8'...'`: a string.
        if matches!(self.peek(0), b'\'' | b'"')
            && (word.len() == 1 && matches!(word.as_bytes()[0], b'n' | b'x' | b'b' | b'e' | b'q')
                || word.starts_with('_'))
        {
            let quote = self.peek(0);
            self.at = self
                .string_end(self.at + 1, quote)
                .unwrap_or(self.bytes.len());
            self.push(Class::Str, "");
            return;
        }
        let mut class = keyword(word);
        // A call: a name and `(` (MySQL's default), or a SQL function
        // with spaces before its `(` (`sleep (5)`); not `pepper (more)`.
        let call = if self.peek(0) == b'(' {
            matches!(class, Class::Word | Class::Number) || matches!(word, "if" | "exists")
        } else {
            self.next_is_open() && FUNCTIONS.contains(&word)
        };
        if call {
            class = Class::Function;
        }
        // `ORDER BY`, `GROUP BY`: one clause.
        if word == "by"
            && self
                .tokens
                .last()
                .is_some_and(|t| matches!(t.word, "order" | "group"))
        {
            if let Some(last) = self.tokens.last_mut() {
                last.class = Class::Clause;
            }
            return;
        }
        self.push(class, word);
    }

    /// Whether the next byte but spaces is `(`.
    fn next_is_open(&self) -> bool {
        let rest = &self.bytes[self.at..];
        rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'(')
    }

    fn operator(&mut self, c: u8) {
        let two = [c, self.peek(1)];
        let class = match &two {
            b"||" | b"&&" => Class::Logic,
            _ => Class::Operator,
        };
        let long = matches!(
            &two,
            b"||" | b"&&" | b"<=" | b">=" | b"<>" | b"!=" | b"::" | b":=" | b"<<" | b">>" | b"^="
        );
        // Bytes that are not ASCII are word bytes: an operator is ASCII.
        self.at += if long { 2 } else { 1 };
        if long && two == *b"<=" && self.peek(0) == b'>' {
            self.at += 1;
        }
        let word = if matches!(c, b'-' | b'+' | b'!' | b'~') && !long {
            op_word(c)
        } else {
            ""
        };
        self.push(class, word);
    }
}

fn op_word(c: u8) -> &'static str {
    match c {
        b'-' => "-",
        b'+' => "+",
        b'!' => "!",
        _ => "~",
    }
}

fn is_unary(token: &Token<'_>) -> bool {
    matches!(token.word, "-" | "+" | "!" | "~" | "not") && token.class == Class::Operator
}

/// Whether a token of this class can be one side of a comparison.
pub(crate) fn is_operand(class: Class) -> bool {
    matches!(
        class,
        Class::Str | Class::Number | Class::Word | Class::Variable
    )
}

/// Letters, digits, `_`, `$`, `.` (`schema.table`) and any byte of a
/// character that is not ASCII (words of other languages).
pub(crate) fn is_word_byte(c: u8) -> bool {
    WORD_BYTES[usize::from(c)]
}

/// [`is_word_byte`] as a table indexed by byte: one load, not five tests.
pub(crate) const WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'.') || c >= 0x80;
        b += 1;
    }
    table
};

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack.get(from..)?, needle).map(|i| from + i)
}

/// The class of a word (lower case): a keyword's, else [`Class::Word`].
pub(crate) fn keyword(word: &str) -> Class {
    // Most words are not keywords: their first letter and length name an
    // empty bucket, or none of the (at most three) keywords in it ends
    // with their last two letters. The one that does is compared whole.
    let bytes = word.as_bytes();
    let Some(bucket) = bucket_of(bytes).and_then(|b| KEYWORD_BUCKETS.get(b)) else {
        return Class::Word;
    };
    let ends = ends_of(bytes);
    for &entry in bucket {
        let Some(i) = usize::from(entry).checked_sub(1) else {
            break;
        };
        if KEYWORD_ENDS.get(i) == Some(&ends) {
            return match KEYWORDS.get(i) {
                Some(&(keyword, class)) if keyword.as_bytes() == bytes => class,
                _ => Class::Word,
            };
        }
    }
    Class::Word
}

/// A word's last two bytes (a keyword has at least two).
const fn ends_of(bytes: &[u8]) -> u16 {
    match bytes {
        [.., before, last] => u16::from_le_bytes([*before, *last]),
        _ => 0,
    }
}

/// [`ends_of`] each keyword of [`KEYWORDS`]: no two in a bucket share them.
const KEYWORD_ENDS: [u16; KEYWORD_COUNT] = keyword_ends();

const fn keyword_ends() -> [u16; KEYWORD_COUNT] {
    let mut ends = [0; KEYWORD_COUNT];
    let mut i = 0;
    while i < KEYWORD_COUNT {
        ends[i] = ends_of(KEYWORDS[i].0.as_bytes());
        i += 1;
    }
    ends
}

/// How many keywords [`KEYWORD_CLASSES`] holds.
const KEYWORD_COUNT: usize = keyword_count();

const fn keyword_count() -> usize {
    let mut count = 0;
    let mut class = 0;
    while class < KEYWORD_CLASSES.len() {
        count += KEYWORD_CLASSES[class].1.len();
        class += 1;
    }
    count
}

/// Every keyword with its class, in one list.
const KEYWORDS: [(&str, Class); KEYWORD_COUNT] = keywords();

const fn keywords() -> [(&'static str, Class); KEYWORD_COUNT] {
    let mut all = [("", Class::Word); KEYWORD_COUNT];
    let mut at = 0;
    let mut class = 0;
    while class < KEYWORD_CLASSES.len() {
        let (kind, words) = KEYWORD_CLASSES[class];
        let mut w = 0;
        while w < words.len() {
            all[at] = (words[w], kind);
            at += 1;
            w += 1;
        }
        class += 1;
    }
    all
}

/// The most keywords sharing a first letter and a length.
const BUCKET_SIZE: usize = 3;

/// The bucket of a word of `bytes`, by its first letter (`a` to `z`) and
/// its length (1 to [`LONGEST_KEYWORD`]): `None` when no keyword can
/// have them.
const fn bucket_of(bytes: &[u8]) -> Option<usize> {
    let len = bytes.len();
    if len == 0 || len > LONGEST_KEYWORD || !bytes[0].is_ascii_lowercase() {
        return None;
    }
    Some((bytes[0] - b'a') as usize * LONGEST_KEYWORD + len - 1)
}

/// The keywords of each bucket ([`bucket_of`]), as their index in
/// [`KEYWORDS`] plus one (zero: no more).
const KEYWORD_BUCKETS: [[u8; BUCKET_SIZE]; 26 * LONGEST_KEYWORD] = keyword_buckets();

const fn keyword_buckets() -> [[u8; BUCKET_SIZE]; 26 * LONGEST_KEYWORD] {
    let mut buckets = [[0u8; BUCKET_SIZE]; 26 * LONGEST_KEYWORD];
    let mut i = 0;
    while i < KEYWORD_COUNT {
        let Some(bucket) = bucket_of(KEYWORDS[i].0.as_bytes()) else {
            panic!("a keyword starts with a letter and is at most LONGEST_KEYWORD long");
        };
        let mut slot = 0;
        while buckets[bucket][slot] != 0 {
            let other = buckets[bucket][slot] as usize - 1;
            assert!(
                KEYWORD_ENDS[other] != KEYWORD_ENDS[i],
                "two keywords of a bucket share their last two bytes"
            );
            slot += 1; // Past BUCKET_SIZE: a compile error (index out of bounds).
        }
        buckets[bucket][slot] = (i + 1) as u8;
        i += 1;
    }
    buckets
}

// Bucket entries are stored as index + 1 in a byte, 0 meaning none.
const _: () = assert!(KEYWORD_COUNT < 256, "a bucket entry is a byte");

/// The first three bytes the keywords of some classes open with: a word
/// opening otherwise is none of those keywords (read by
/// [`Self::may_open`], two loads and no scan of the word).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeywordOpenings {
    /// For each first two letters (`aa`, `ab`, ... `zz`), the third bytes
    /// ([`third_byte_bit`]).
    third_bytes: [u32; 26 * 26],
}

/// The bit of a word's third byte in [`KeywordOpenings`]: bit 0 to 25
/// for a lower-case letter, bit 26 for any other byte or none (a
/// keyword of two letters is followed by no word byte: no letter).
const fn third_byte_bit(third: Option<u8>) -> u32 {
    match third {
        Some(letter @ b'a'..=b'z') => 1 << (letter - b'a'),
        _ => 1 << 26,
    }
}

/// The index in [`KeywordOpenings`] of a word's first two bytes, when both
/// are lower-case letters.
const fn first_two_index(bytes: &[u8]) -> Option<usize> {
    match *bytes {
        [first @ b'a'..=b'z', second @ b'a'..=b'z', ..] => {
            Some((first - b'a') as usize * 26 + (second - b'a') as usize)
        }
        _ => None,
    }
}

impl KeywordOpenings {
    /// The openings of every keyword of [`KEYWORD_CLASSES`] whose class is
    /// one of `classes`.
    pub(crate) const fn of(classes: &[Class]) -> Self {
        let mut third_bytes = [0u32; 26 * 26];
        let mut i = 0;
        while i < KEYWORD_COUNT {
            let (word, class) = KEYWORDS[i];
            let mut c = 0;
            while c < classes.len() {
                // Fieldless: the discriminants tell the classes apart.
                if classes[c] as u8 == class as u8 {
                    let bytes = word.as_bytes();
                    let Some(index) = first_two_index(bytes) else {
                        panic!("a keyword opens with two lower-case letters");
                    };
                    let third = if bytes.len() > 2 {
                        Some(bytes[2])
                    } else {
                        None
                    };
                    assert!(
                        third.is_none() || third_byte_bit(third) != 1 << 26,
                        "a keyword's third byte is a lower-case letter"
                    );
                    third_bytes[index] |= third_byte_bit(third);
                }
                c += 1;
            }
            i += 1;
        }
        Self { third_bytes }
    }

    /// Whether a word of `bytes` (its first word bytes) may be one of the
    /// keywords: its first three bytes are a keyword's opening.
    pub(crate) fn may_open(&self, bytes: &[u8]) -> bool {
        first_two_index(bytes)
            .and_then(|index| self.third_bytes.get(index))
            .is_some_and(|&thirds| thirds & third_byte_bit(bytes.get(2).copied()) != 0)
    }
}

/// Every keyword of [`KEYWORD_CLASSES`] with its class (for tests
/// checking a table derived from them).
#[cfg(test)]
pub(crate) fn every_keyword() -> impl Iterator<Item = (&'static str, Class)> {
    KEYWORDS.into_iter()
}

/// SQL functions that attacks call, read as calls even with spaces
/// before their `(`.
const FUNCTIONS: &[&str] = &[
    "sleep",
    "pg_sleep",
    "benchmark",
    "ascii",
    "ord",
    "char",
    "chr",
    "substr",
    "substring",
    "mid",
    "concat",
    "concat_ws",
    "group_concat",
    "extractvalue",
    "updatexml",
    "load_file",
    "user",
    "version",
    "database",
    "schema",
    "current_user",
    "system_user",
    "if",
    "ifnull",
    "cast",
    "convert",
    "count",
    "length",
    "hex",
    "unhex",
    "md5",
    "sha1",
    "exists",
    "rand",
    "floor",
    "randomblob",
    "sqlite_version",
    "xp_cmdshell",
    "dbms_pipe.receive_message",
    "utl_inaddr.get_host_name",
    "name_const",
    "json_extract",
    "elt",
    "make_set",
    "isnull",
];

/// The longest word of [`KEYWORD_CLASSES`]: a longer word is no keyword.
pub(crate) const LONGEST_KEYWORD: usize = 12;

/// The keywords of each class.
const KEYWORD_CLASSES: &[(Class, &[&str])] = &[
    (Class::Logic, &["and", "or", "xor"]),
    (Class::Union, &["union", "intersect", "except", "minus"]),
    (
        Class::Statement,
        &[
            "select", "insert", "update", "delete", "drop", "create", "alter", "truncate", "exec",
            "execute", "declare", "shutdown", "waitfor", "replace", "merge", "grant", "revoke",
            "rename", "handler", "load", "call", "prepare",
        ],
    ),
    (
        Class::Clause,
        &[
            "having",
            "limit",
            "offset",
            "into",
            "procedure",
            "order",
            "group",
            "fetch",
        ],
    ),
    (
        Class::Operator,
        &[
            "like", "rlike", "regexp", "ilike", "similar", "glob", "in", "is", "between", "div",
            "mod", "not", "sounds", "escape", "collate", "match", "against",
        ],
    ),
    (
        Class::Number,
        &[
            "true",
            "false",
            "null",
            "unknown",
            "current_user",
            "user",
            "version",
        ],
    ),
    (
        Class::Keyword,
        &[
            "from", "where", "table", "database", "schema", "values", "set", "all", "distinct",
            "delay", "top", "case", "when", "then", "else", "end", "as", "on", "join", "exists",
            "if", "begin", "outfile", "dumpfile", "time",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Escapes, quotes and comments next to characters of several
        /// bytes: the reader never slices inside a character.
        #[test]
        fn any_text_is_read_without_panic(text in "[a-z0-9 '\"`\\/*!#;()@.$_=<>|&+-é€😀\t\n]{0,40}") {
            for quote in [None, Some(b'\''), Some(b'"')] {
                let tokens = tokenize(&text, quote, MAX_TOKENS);
                prop_assert!(tokens.is_none_or(|t| t.as_slice().len() <= MAX_TOKENS));
            }
            let _ = crate::waf::sql_injection::is_sql_injection(&text);
        }

        /// A token asked for alone, in any order, is the one reading them
        /// all gives.
        #[test]
        fn tokens_read_on_demand_are_those_read_at_once(
            text in "[a-z0-9 '\"`/*!#;()@.=<>|&+-]{0,30}|((order|group| by|not|-|!|1|x|[(]| )){0,12}"
        ) {
            for quote in [None, Some(b'\''), Some(b'"')] {
                let Some(all) = tokenize(&text, quote, MAX_TOKENS) else {
                    prop_assert!(quote.is_some_and(|q| !LazyTokens::new(&text).after_quote(q)));
                    continue;
                };
                for i in (0..=MAX_TOKENS).rev() {
                    let mut lazy = LazyTokens::new(&text);
                    prop_assert!(quote.is_none_or(|q| lazy.after_quote(q)));
                    let alone = lazy.get(i);
                    prop_assert_eq!(alone, all.as_slice().get(i).copied(), "{:?} token {}", text, i);
                }
            }
        }
    }

    fn classes(text: &str, quote: Option<u8>) -> Option<String> {
        let tokens = tokenize(text, quote, MAX_TOKENS)?;
        Some(
            tokens
                .as_slice()
                .iter()
                .map(|t| match t.class {
                    Class::Str => 's',
                    Class::Number => '1',
                    Class::Word => 'n',
                    Class::Variable => 'v',
                    Class::Function => 'f',
                    Class::Logic => '&',
                    Class::Union => 'U',
                    Class::Statement => 'E',
                    Class::Clause => 'B',
                    Class::Keyword => 'k',
                    Class::Operator => 'o',
                    Class::Open => '(',
                    Class::Close => ')',
                    Class::Comma => ',',
                    Class::Semicolon => ';',
                    Class::Comment => 'c',
                })
                .collect(),
        )
    }

    #[test]
    fn values_read_as_sql_tokens() {
        let cases = [
            ("1 or 1=1", None, "1&1o1"),
            ("1' or '1'='1", Some(b'\''), "s&sos"),
            ("admin'--", Some(b'\''), "sc"),
            ("-1 union/**/all select null,@@version", None, "1UkE1,v"),
            ("1/*!50000union*/ select", None, "1UE"),
            ("x') or not (1=2", Some(b'\''), "s)&(1o1"),
            ("1 and sleep (5)", None, "1&f(1)"),
            ("1 order by 3#", None, "1B1c"),
            ("n'abc' || x'41'", None, "s&s"),
            ("it's nice", Some(b'\''), "snn"),
            ("l'été est là", Some(b'\''), "snnn"),
        ];
        for (text, quote, want) in cases {
            assert_eq!(classes(text, quote).as_deref(), Some(want), "{text:?}");
        }
        assert_eq!(classes("no quote", Some(b'\'')), None);
    }

    #[test]
    fn reads_at_most_max_tokens_of_any_text() {
        let long = "a ".repeat(10_000);
        assert_eq!(tokenize(&long, None, MAX_TOKENS).unwrap().len(), MAX_TOKENS);
        for text in [
            "\u{e9}'",
            "'\\",
            "/*",
            "0x",
            "@",
            "é(",
            "\u{1F600}+",
            "'a''b",
            "'\\é",
        ] {
            let _ = tokenize(text, None, MAX_TOKENS);
            let _ = tokenize(text, Some(b'\''), MAX_TOKENS);
        }
        assert!(KEYWORD_CLASSES
            .iter()
            .all(|(_, words)| words.iter().all(|w| w.len() <= LONGEST_KEYWORD)));
    }

    #[test]
    fn every_keyword_keeps_its_class() {
        for (class, words) in KEYWORD_CLASSES {
            for word in *words {
                assert_eq!(keyword(word), *class, "{word}");
            }
        }
        for word in [
            "please", "brien", "ann", "", "x", "selects", "sel", "Select", "_x",
        ] {
            assert_eq!(keyword(word), Class::Word, "{word}");
        }
    }

    /// The keyword's class by reading every keyword: what the buckets
    /// must answer.
    fn keyword_by_list(word: &str) -> Class {
        KEYWORD_CLASSES
            .iter()
            .find(|(_, words)| words.contains(&word))
            .map_or(Class::Word, |(class, _)| *class)
    }

    proptest! {
        /// The buckets answer what the list answers: for keywords, words
        /// one letter off them, and any short word.
        #[test]
        fn keyword_buckets_answer_as_the_list(
            word in prop_oneof![
                "[a-z_]{0,14}",
                "[a-zé0-9_$.]{0,6}",
                (prop::sample::select(KEYWORDS.iter().map(|(w, _)| *w).collect::<Vec<_>>()),
                 "[a-z_]{0,1}", 0..2usize)
                    .prop_map(|(w, extra, cut)| format!("{}{extra}", &w[..w.len() - cut])),
            ]
        ) {
            prop_assert_eq!(keyword(&word), keyword_by_list(&word), "{:?}", word);
        }
    }
}

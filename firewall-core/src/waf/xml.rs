//! A small, forgiving XML reader for request bodies: yields text nodes and
//! attribute values (what an application reads), and declarations such as
//! `<!DOCTYPE>` (where XXE hides). Tag names are structure, not data.

use super::target::{Location, Target};

/// Pushes the text and attribute values of an XML document.
pub(crate) fn push_xml(text: &str, out: &mut Vec<Target<'_>>) {
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        push_text(&rest[..open], out);
        rest = &rest[open..];
        let end = markup_end(rest);
        let markup = &rest[..end];
        rest = &rest[end..];
        if let Some(data) = markup.strip_prefix("<![CDATA[") {
            push_text(data.trim_end_matches('>').trim_end_matches("]]"), out);
        } else if markup.starts_with("<!--") || markup.starts_with("<?") {
            // Comments and processing instructions carry no application data.
        } else if markup.starts_with("<!") {
            out.push(Target::body(Location::Body, markup.to_owned()));
        } else {
            push_attributes(markup, out);
        }
    }
    push_text(rest, out);
}

/// The length of the markup at the start of `text` (which starts with `<`).
fn markup_end(text: &str) -> usize {
    let close = if text.starts_with("<![CDATA[") {
        "]]>"
    } else if text.starts_with("<!--") {
        "-->"
    } else if text.starts_with("<!") {
        return declaration_end(text);
    } else {
        ">"
    };
    text.find(close).map_or(text.len(), |at| at + close.len())
}

/// `<!DOCTYPE x [ <!ENTITY ...> ]>` nests brackets: end after the last `]>`.
fn declaration_end(text: &str) -> usize {
    match (text.find('['), text.find('>')) {
        (Some(bracket), Some(gt)) if bracket < gt => {
            text.find("]>").map_or(text.len(), |at| at + 2)
        }
        (_, Some(gt)) => gt + 1,
        _ => text.len(),
    }
}

fn push_text(text: &str, out: &mut Vec<Target<'_>>) {
    let text = text.trim();
    if !text.is_empty() {
        out.push(Target::body(Location::Arg("xml".into()), text.to_owned()));
    }
}

/// Attribute values of one start tag, as `xml@name`.
fn push_attributes(tag: &str, out: &mut Vec<Target<'_>>) {
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq]
            .rsplit(|c: char| c.is_whitespace() || c == '<')
            .next()
            .unwrap_or("")
            .trim();
        let after = rest[eq + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            rest = &rest[eq + 1..];
            continue;
        };
        let body = &after[1..];
        let close = body.find(quote).unwrap_or(body.len());
        out.push(Target::body(
            Location::Arg(format!("xml@{name}").into()),
            body[..close].to_owned(),
        ));
        rest = body.get(close + 1..).unwrap_or("");
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

    #[test]
    fn text_attributes_cdata_and_doctype() {
        let got = values(
            "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\
             <r a='1 or 1=1'><java.lang.Runtime>hi</java.lang.Runtime><![CDATA[<b>]]><!-- c --></r>",
        );
        assert_eq!(
            got,
            [
                (
                    "REQUEST_BODY".into(),
                    "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>".into()
                ),
                ("ARGS:xml@a".into(), "1 or 1=1".into()),
                ("ARGS:xml".into(), "hi".into()),
                ("ARGS:xml".into(), "<b>".into()),
            ]
        );
    }

    #[test]
    fn unterminated_markup_is_not_lost() {
        assert_eq!(
            values("<a b=\"x"),
            [("ARGS:xml@b".to_owned(), "x".to_owned())]
        );
        assert_eq!(
            values("plain"),
            [("ARGS:xml".to_owned(), "plain".to_owned())]
        );
    }
}

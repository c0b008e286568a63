//! A minimal HTTP/1.1 GET client over tokio, enough to talk to our own
//! daemons (plain HTTP, loopback or LAN): the global daemon uses it to poll
//! and drive local daemons, `slackvm-client` and the load tool use it too.
//! Every call has a deadline and a bound on the answer's size (a host
//! answering 400 MB cannot make the global swell). Connections may be kept
//! alive ([`Conn`]).
//! Chosen over ureq/reqwest to add no dependency tree and no blocking
//! threads: it only ever parses answers from axum (Content-Length or
//! chunked bodies).

use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Largest answer body read by default, in bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 << 20;

/// A call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Connection or I/O failure.
    #[error("{addr}: {source}")]
    Io {
        /// Peer.
        addr: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The deadline passed.
    #[error("{addr}: no answer within {timeout:?}")]
    Timeout {
        /// Peer.
        addr: String,
        /// Deadline.
        timeout: Duration,
    },
    /// The answer is not HTTP/1.x as expected.
    #[error("{addr}: malformed HTTP answer: {message}")]
    Protocol {
        /// Peer.
        addr: String,
        /// What is wrong.
        message: String,
    },
    /// The answer is larger than allowed.
    #[error("{addr}: answer larger than {max_bytes} bytes")]
    TooLarge {
        /// Peer.
        addr: String,
        /// The bound.
        max_bytes: usize,
    },
    /// The body is not JSON.
    #[error("{addr}: answer is not JSON: {source}")]
    Json {
        /// Peer.
        addr: String,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self, addr: &str) -> Result<Value, ClientError> {
        serde_json::from_slice(&self.body).map_err(|source| ClientError::Json {
            addr: addr.to_string(),
            source,
        })
    }
}

/// A keep-alive connection to one daemon.
#[derive(Debug)]
pub struct Conn {
    addr: String,
    stream: BufReader<TcpStream>,
    token: Option<String>,
    max_body: usize,
}

/// Maps an I/O failure talking to `addr`.
fn io_error(addr: &str) -> impl Fn(std::io::Error) -> ClientError + '_ {
    move |source| ClientError::Io {
        addr: addr.to_string(),
        source,
    }
}

/// A malformed answer from `addr`.
fn proto(addr: &str, message: impl Into<String>) -> ClientError {
    ClientError::Protocol {
        addr: addr.to_string(),
        message: message.into(),
    }
}

impl Conn {
    /// Connects to `host:port` (an `http://` prefix is accepted).
    pub async fn connect(addr: &str, token: Option<&str>) -> Result<Self, ClientError> {
        let addr = crate::config::strip_scheme(addr).to_string();
        let stream = TcpStream::connect(&addr).await.map_err(io_error(&addr))?;
        stream.set_nodelay(true).ok();
        Ok(Conn {
            addr,
            stream: BufReader::new(stream),
            token: token.map(str::to_string),
            max_body: DEFAULT_MAX_BODY_BYTES,
        })
    }

    /// Bounds the size of every answer body on this connection.
    pub fn with_max_body(mut self, max_bytes: usize) -> Self {
        self.max_body = max_bytes;
        self
    }

    fn too_large(&self) -> ClientError {
        ClientError::TooLarge {
            addr: self.addr.clone(),
            max_bytes: self.max_body,
        }
    }

    /// `GET path_and_query` on this connection (kept open unless `close`).
    pub async fn get(&mut self, path_and_query: &str, close: bool) -> Result<Answer, ClientError> {
        let auth = self
            .token
            .as_deref()
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let connection = if close { "close" } else { "keep-alive" };
        let request = format!(
            "GET {path_and_query} HTTP/1.1\r\nHost: {}\r\n{auth}Connection: {connection}\r\nAccept: application/json\r\n\r\n",
            self.addr
        );
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .map_err(io_error(&self.addr))?;
        self.read_answer().await
    }

    async fn read_line(&mut self) -> Result<String, ClientError> {
        let mut line = String::new();
        let limit = (self.max_body as u64).max(64 << 10);
        let n = (&mut self.stream)
            .take(limit)
            .read_line(&mut line)
            .await
            .map_err(io_error(&self.addr))?;
        if n as u64 == limit {
            return Err(self.too_large());
        }
        if n == 0 {
            return Err(proto(&self.addr, "connection closed before the answer"));
        }
        Ok(line.trim_end().to_string())
    }

    async fn read_answer(&mut self) -> Result<Answer, ClientError> {
        let status_line = self.read_line().await?;
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| proto(&self.addr, format!("status line `{status_line}`")))?;
        let mut length = None;
        let mut chunked = false;
        loop {
            let line = self.read_line().await?;
            if line.is_empty() {
                break;
            }
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "content-length" {
                length = Some(
                    v.parse::<usize>()
                        .map_err(|_| proto(&self.addr, "bad Content-Length"))?,
                );
            } else if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
        let body = match (chunked, length) {
            (true, _) => self.read_chunked().await?,
            (false, Some(n)) if n > self.max_body => return Err(self.too_large()),
            (false, Some(n)) => self.read_exact(n).await?,
            (false, None) => {
                let mut body = Vec::new();
                (&mut self.stream)
                    .take(self.max_body as u64 + 1)
                    .read_to_end(&mut body)
                    .await
                    .map_err(io_error(&self.addr))?;
                if body.len() > self.max_body {
                    return Err(self.too_large());
                }
                body
            }
        };
        Ok(Answer { status, body })
    }

    async fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, ClientError> {
        let mut body = vec![0u8; n];
        self.stream
            .read_exact(&mut body)
            .await
            .map_err(io_error(&self.addr))?;
        Ok(body)
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, ClientError> {
        let mut body = Vec::new();
        loop {
            let size_line = self.read_line().await?;
            let size_hex = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| proto(&self.addr, "bad chunk size"))?;
            if body.len().saturating_add(size) > self.max_body {
                return Err(self.too_large());
            }
            if size == 0 {
                // Trailers until an empty line.
                while !self.read_line().await?.is_empty() {}
                return Ok(body);
            }
            body.extend(self.read_exact(size).await?);
            self.read_line().await?;
        }
    }
}

/// One-shot GET with a deadline (connection closed afterwards).
pub async fn get(
    addr: &str,
    path_and_query: &str,
    token: Option<&str>,
    timeout: Duration,
) -> Result<Answer, ClientError> {
    get_limited(addr, path_and_query, token, timeout, DEFAULT_MAX_BODY_BYTES).await
}

/// One-shot GET with a deadline and a bound on the body size.
pub async fn get_limited(
    addr: &str,
    path_and_query: &str,
    token: Option<&str>,
    timeout: Duration,
    max_body: usize,
) -> Result<Answer, ClientError> {
    let call = async {
        let mut conn = Conn::connect(addr, token).await?.with_max_body(max_body);
        conn.get(path_and_query, true).await
    };
    tokio::time::timeout(timeout, call)
        .await
        .map_err(|_| ClientError::Timeout {
            addr: crate::config::strip_scheme(addr).to_string(),
            timeout,
        })?
}

/// One-shot GET of a JSON answer (any status code).
pub async fn get_json(
    addr: &str,
    path_and_query: &str,
    token: Option<&str>,
    timeout: Duration,
) -> Result<(u16, Value), ClientError> {
    get_json_limited(addr, path_and_query, token, timeout, DEFAULT_MAX_BODY_BYTES).await
}

/// One-shot GET of a JSON answer with a bound on the body size.
pub async fn get_json_limited(
    addr: &str,
    path_and_query: &str,
    token: Option<&str>,
    timeout: Duration,
    max_body: usize,
) -> Result<(u16, Value), ClientError> {
    let answer = get_limited(addr, path_and_query, token, timeout, max_body).await?;
    let value = answer.json(addr)?;
    Ok((answer.status, value))
}

/// Builds `path?k=v&...` with percent-encoded values.
pub fn path_with_query(path: &str, params: &[(&str, String)]) -> String {
    if params.is_empty() {
        return path.to_string();
    }
    let q: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::params::percent_encode(v)))
        .collect();
    format!("{path}?{}", q.join("&"))
}

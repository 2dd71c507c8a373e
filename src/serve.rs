//! `kuronuri serve`: a small static file server for the page, on loopback by default.
//!
//! It exists so the page gets the headers a plain file server would not send: a
//! Content-Security-Policy that forbids connections to any other origin, cross-origin isolation
//! (COOP/COEP, so WebAssembly threads can be used) and the right MIME type for `.wasm`.
//! It answers GET and HEAD for files under the root and nothing else.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::error::Error;

/// The policy sent with every response. `www/index.html` carries the same policy in a
/// `<meta>` (without `frame-ancestors`, which a `<meta>` cannot set); a test keeps them equal.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
worker-src 'self'; connect-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; \
font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Headers sent with every response, besides the content's own.
pub fn security_headers() -> [(&'static str, &'static str); 6] {
    [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Embedder-Policy", "require-corp"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
    ]
}

pub struct Options {
    pub root: PathBuf,
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
}

/// Binds, prints the address on one line of standard output, and serves until killed.
pub fn serve(options: &Options) -> Result<(), Error> {
    let root = options
        .root
        .canonicalize()
        .map_err(|e| Error::Io(format!("cannot serve {}: {e}", options.root.display())))?;
    if !root.join("index.html").is_file() {
        return Err(Error::Io(format!(
            "{} has no index.html: build the page first (./build.sh build)",
            root.display()
        )));
    }
    let listener = TcpListener::bind((options.host.as_str(), options.port)).map_err(|e| {
        Error::Io(format!(
            "cannot listen on {}:{}: {e}",
            options.host, options.port
        ))
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Io(e.to_string()))?;
    println!(
        "Kuronuri: serving {} at http://{addr}/ (press Ctrl-C to stop)",
        root.display()
    );
    let _ = std::io::stdout().flush();
    for stream in listener.incoming().flatten() {
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, &root);
        });
    }
    Ok(())
}

fn handle(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.by_ref().take(8192).read_line(&mut request_line)?;
    // Skip the headers: nothing in them changes the answer.
    let mut header = String::new();
    let mut total = 0;
    loop {
        header.clear();
        let n = reader.by_ref().take(8192).read_line(&mut header)?;
        total += n;
        if n == 0 || header == "\r\n" || header == "\n" || total > 65536 {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut out = stream;
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut out,
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            b"method not allowed\n",
            true,
            &[("Allow", "GET, HEAD")],
        );
    }
    let head_only = method == "HEAD";
    let Some(path) = resolve(root, target) else {
        return respond(
            &mut out,
            "404 Not Found",
            "text/plain; charset=utf-8",
            b"not found\n",
            !head_only,
            &[],
        );
    };
    match std::fs::read(&path) {
        Ok(body) => respond(&mut out, "200 OK", mime_type(&path), &body, !head_only, &[]),
        Err(_) => respond(
            &mut out,
            "404 Not Found",
            "text/plain; charset=utf-8",
            b"not found\n",
            !head_only,
            &[],
        ),
    }
}

/// Maps a request target to a file under `root`, refusing anything that would leave it.
pub fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let decoded = percent_decode(path.strip_prefix('/')?)?;
    let mut full = root.to_path_buf();
    for component in Path::new(&decoded).components() {
        match component {
            Component::Normal(part) => full.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if full.is_dir() {
        full.push("index.html");
    }
    // Links must not lead outside the root either.
    let real = full.canonicalize().ok()?;
    (real.starts_with(root) && real.is_file()).then_some(real)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.contains(['\0', '\\'])).then_some(text)
}

pub fn mime_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

fn respond(
    out: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    with_body: bool,
    extra: &[(&str, &str)],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in security_headers().iter().chain(extra) {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if with_body {
        out.write_all(body)?;
    }
    out.flush()
}

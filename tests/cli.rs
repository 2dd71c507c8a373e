//! The `kuronuri` binary: `redact` and its one-line errors, and `serve` with its headers.

mod common;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};

use kuronuri::imaging::decode;

const BIN: &str = env!("CARGO_BIN_EXE_kuronuri");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn redact_masks_the_boxes_and_leaves_the_input_alone() {
    let dir = common::temp_dir("test", "redact");
    let input = dir.join("patients.png");
    std::fs::copy(common::shared("eval/dev/dev_0004_enPatients.png"), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let out = dir.join("out.jpg");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    let quad = "400,100,600,110,598,140,398,130";
    let (code, _, err) = run(&[
        "redact",
        i,
        "-o",
        o,
        "--box",
        "100,50,200,30",
        "--quad",
        quad,
        "--style",
        "fill:#ffffff",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&input).unwrap(), before, "the input changed");
    let image = decode(&std::fs::read(&out).unwrap()).unwrap();
    let px = &image.rgba[((65 * image.width + 200) * 4) as usize..][..3];
    assert!(px.iter().all(|&v| v > 245), "box not white: {px:?}");
    let px = &image.rgba[((120 * image.width + 500) * 4) as usize..][..3];
    assert!(px.iter().all(|&v| v > 245), "quad not white: {px:?}");
}

#[test]
fn errors_are_one_line_with_a_non_zero_exit() {
    let dir = common::temp_dir("test", "errors");
    let text = dir.join("notes.txt");
    std::fs::write(&text, "氏名: 山田太郎").unwrap();
    let png = dir.join("in.png");
    std::fs::copy(common::shared("eval/dev/dev_0004_enPatients.png"), &png).unwrap();
    let original = std::fs::read(&png).unwrap();
    let (t, p, o) = (
        text.to_str().unwrap(),
        png.to_str().unwrap(),
        dir.join("o.png"),
    );
    let o = o.to_str().unwrap();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["redact", t, "-o", o, "--box", "1,1,5,5"],
            1,
            "not an image",
        ),
        (
            vec!["redact", "/no/such/file.png", "-o", o, "--box", "1,1,5,5"],
            1,
            "cannot read",
        ),
        (
            vec!["redact", p, "-o", o, "--models", "/no/such/dir"],
            1,
            "run ./build.sh build",
        ),
        (
            vec!["redact", p, "-o", o, "--policy", "bogus"],
            2,
            "unknown policy",
        ),
        (
            vec!["redact", p, "-o", o, "--policy", "everything,-salary"],
            2,
            "unknown category",
        ),
        (vec!["scan", p], 2, "--out-dir"),
        (vec!["scan", "--out-dir", "/tmp"], 2, "at least one input"),
        (
            vec!["redact", p, "-o", o, "--box", "1,2,3"],
            2,
            "--box takes 4",
        ),
        (
            vec!["redact", p, "-o", o, "--box", "1,2,-3,4"],
            1,
            "negative",
        ),
        (
            vec![
                "redact", p, "-o", o, "--box", "1,1,5,5", "--style", "pixelate",
            ],
            1,
            "unknown mask style",
        ),
        (
            vec!["redact", p, "-o", p, "--box", "1,1,5,5"],
            2,
            "never overwritten",
        ),
        (
            vec!["redact", p, "-o", "out.gif", "--box", "1,1,5,5"],
            2,
            "cannot tell the format",
        ),
        (vec!["frobnicate"], 2, "unknown command"),
        (vec![], 2, "no command"),
    ];
    for (args, want, text) in cases {
        let (code, _, err) = run(&args);
        assert_eq!(code, want, "{args:?}: {err}");
        assert!(err.contains(text), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read(&png).unwrap(), original, "the input changed");
    assert!(!Path::new(o).exists(), "a failed run left an output file");
}

/// Starts `kuronuri serve` on a free port over `root`; returns the child and its address.
fn serve(root: &Path) -> (std::process::Child, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--root", root.to_str().unwrap(), "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, addr)
}

fn get(addr: &str, request: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    (
        String::from_utf8_lossy(&response[..split]).into_owned(),
        response[split + 4..].to_vec(),
    )
}

#[test]
fn serve_sends_files_with_the_security_headers_and_nothing_outside_its_root() {
    let dir = common::temp_dir("test", "serve");
    let root = dir.join("www");
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    std::fs::write(root.join("index.html"), "<!doctype html><p>hi</p>").unwrap();
    std::fs::write(root.join("pkg/core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(root.join("app.js"), "export {}").unwrap();
    std::fs::write(dir.join("secret.txt"), "outside the root").unwrap();
    let (mut child, addr) = serve(&root);

    let (head, body) = get(&addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, b"<!doctype html><p>hi</p>");
    for header in [
        "Content-Type: text/html; charset=utf-8",
        "Content-Security-Policy: default-src 'self';",
        "connect-src 'self';",
        "Cross-Origin-Opener-Policy: same-origin",
        "Cross-Origin-Embedder-Policy: require-corp",
        "Referrer-Policy: no-referrer",
        "X-Content-Type-Options: nosniff",
    ] {
        assert!(head.contains(header), "missing {header:?} in\n{head}");
    }
    assert!(get(&addr, "GET /pkg/core.wasm HTTP/1.1\r\n\r\n")
        .0
        .contains("Content-Type: application/wasm"));
    assert!(get(&addr, "GET /app.js?v=1 HTTP/1.1\r\n\r\n")
        .0
        .contains("Content-Type: text/javascript"));
    let (head, body) = get(&addr, "HEAD /app.js HTTP/1.1\r\n\r\n");
    assert!(
        head.contains("Content-Length: 9") && body.is_empty(),
        "{head}"
    );
    for bad in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/pkg/../../secret.txt",
        "/nothing.js",
        "//etc/passwd",
    ] {
        let (head, body) = get(&addr, &format!("GET {bad} HTTP/1.1\r\n\r\n"));
        assert!(head.starts_with("HTTP/1.1 404"), "{bad}: {head}");
        assert!(
            !String::from_utf8_lossy(&body).contains("outside"),
            "{bad} leaked a file"
        );
    }
    let (head, _) = get(&addr, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert!(
        head.starts_with("HTTP/1.1 405") && head.contains("Allow: GET, HEAD"),
        "{head}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn serve_refuses_a_root_without_a_page() {
    let dir = common::temp_dir("test", "serve-empty");
    let (code, _, err) = run(&["serve", "--root", dir.to_str().unwrap(), "--port", "0"]);
    assert_eq!(code, 1);
    assert!(err.contains("no index.html"), "{err}");
}

#[test]
fn the_page_carries_the_servers_policy_in_a_meta_tag() {
    // A <meta> cannot set frame-ancestors; everything else must match the header exactly.
    let header = kuronuri::serve::CONTENT_SECURITY_POLICY.replace("; frame-ancestors 'none'", "");
    for page in ["www/index.html", "www/licenses.html"] {
        let html =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(page)).unwrap();
        let meta = html
            .split("http-equiv=\"Content-Security-Policy\" content=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("{page} has no CSP meta"));
        assert_eq!(meta, header, "{page}");
        assert!(
            !html.contains("<script>") && !html.contains("style=\""),
            "{page}: inline script or style"
        );
    }
}

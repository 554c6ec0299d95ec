//! `shapegrad-explain FILE.rs [-o PAGE.html] [--watch [--port N]]`: the page
//! of every `net!` in a Rust file (see `shapegrad_dsl::page`), written to
//! `PAGE.html` (default: the file's stem, `.html`, in the current
//! directory); with `--watch`, served on `http://127.0.0.1:N/` (default
//! 8040) and refreshed in the open browser within half a second of each
//! save. The file is read as text: nothing is compiled, a net with errors
//! shows them.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

const USAGE: &str = "usage: shapegrad-explain FILE.rs [-o PAGE.html] [--watch [--port N]]";

struct Args {
    file: PathBuf,
    out: Option<PathBuf>,
    watch: bool,
    port: u16,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut file, mut out, mut watch, mut port) = (None, None, false, 8040);
    while let Some(a) = it.next() {
        match a.as_str() {
            "-o" => out = Some(PathBuf::from(it.next().ok_or("-o needs a file name")?)),
            "--watch" => watch = true,
            "--port" => {
                port = it.next().and_then(|p| p.parse().ok()).ok_or("--port needs a number (1-65535)")?;
            }
            "-h" | "--help" => return Err(String::new()),
            f if file.is_none() && !f.starts_with('-') => file = Some(PathBuf::from(f)),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(Args { file: file.ok_or("which file? give a Rust source file")?, out, watch, port })
}

/// The page of `file`, or why it cannot be read.
fn page(file: &Path) -> Result<String, String> {
    let source = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let name =
        file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    Ok(shapegrad_dsl::page::page_for_source(&name, &source))
}

/// What changes when the file is saved: its modification time and length.
fn version(file: &Path) -> String {
    let meta = std::fs::metadata(file).ok();
    let time = meta
        .as_ref()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok());
    format!("{}-{}", time.map_or(0, |t| t.as_nanos()), meta.map_or(0, |m| m.len()))
}

/// Serves the page, re-read on every request; its script asks for the
/// file's version twice a second and reloads when it changed.
fn watch(file: &Path, port: u16) -> Result<(), String> {
    let server = tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    println!(
        "serving the page of {} on http://127.0.0.1:{port}/ (refreshed on save; Ctrl-C stops)",
        file.display()
    );
    let html =
        tiny_http::Header::from_bytes("Content-Type", "text/html; charset=utf-8").map_err(|_| "header")?;
    for request in server.incoming_requests() {
        let response = if request.url() == "/version" {
            tiny_http::Response::from_string(version(file))
        } else {
            let v = version(file);
            let body = page(file).unwrap_or_else(|e| {
                format!("<!DOCTYPE html><html><body><p>{}</p></body></html>", shapegrad_dsl::page::escape(&e))
            });
            let script = format!(
                "<script>setInterval(async()=>{{try{{const r=await fetch('/version');if((await r.text())!=='{v}')location.reload()}}catch(e){{}}}},500)</script></body>"
            );
            tiny_http::Response::from_string(body.replacen("</body>", &script, 1)).with_header(html.clone())
        };
        let _ = request.respond(response);
    }
    Ok(())
}

fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}");
            }
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if args.watch {
        if let Err(e) = watch(&args.file, args.port) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
        return;
    }
    let start = Instant::now();
    let out = args.out.unwrap_or_else(|| {
        let stem = args.file.file_stem().map_or_else(|| "net".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from(format!("{stem}.html"))
    });
    match page(&args.file)
        .and_then(|p| std::fs::write(&out, p).map_err(|e| format!("cannot write {}: {e}", out.display())))
    {
        Ok(()) => println!("{} ({:.1} ms)", out.display(), start.elapsed().as_secs_f64() * 1e3),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

//! `--watch`: the page served on 127.0.0.1, its version changing when the
//! file is saved (the page's script reloads on that), and a net being
//! edited shows its errors rather than nothing.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body.split_once("\r\n\r\n")?.1.to_string())
}

#[test]
fn the_served_page_follows_the_file() {
    let dir = std::env::temp_dir().join(format!("shapegrad-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("net.rs");
    std::fs::write(&file, "net! { net N { param W: [H, D]; input x: [D]; let z = W @ x;\n loss sum(z); } }")
        .unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_shapegrad-explain"))
        .arg(&file)
        .args(["--watch", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let page = loop {
        if let Some(p) = get(port, "/") {
            break p;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    let v1 = get(port, "/version").unwrap();
    assert!(page.contains("z: [H]") && page.contains("fetch('/version')"), "{page}");
    // A save with a slip: a new version, and the page shows the error.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&file, "net! { net N { param W: [H, D]; input x: [H]; let z = W @ x;\n loss sum(z); } }")
        .unwrap();
    let v2 = get(port, "/version").unwrap();
    let page = get(port, "/").unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert_ne!(v1, v2, "the version follows the file");
    assert!(page.contains("`W` is declared [H×D], but every use reads it as [D×H]"), "{page}");
}

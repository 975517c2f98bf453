// A CGI program for wasm32-wasi, in Rust with std only (no crates): islet's WASI.serve runs it once per request,
// with the request in its environment and body on stdin; it writes header lines, an empty line, then the body
// to stdout. See README.md.
use std::collections::BTreeMap;
use std::env;
use std::io::{self, Read, Write};

fn query_param(query: &str, key: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

fn primes_below(n: usize) -> Vec<usize> {
    let mut sieve = vec![true; n.max(2)];
    sieve[0] = false;
    sieve[1] = false;
    let mut i = 2;
    while i * i < n {
        if sieve[i] {
            let mut j = i * i;
            while j < n {
                sieve[j] = false;
                j += i;
            }
        }
        i += 1;
    }
    (0..n).filter(|&k| sieve[k]).collect()
}

fn respond(out: &mut impl Write, status: &str, content_type: &str, body: &str) -> io::Result<()> {
    write!(out, "Status: {}\nContent-Type: {}\n\n{}", status, content_type, body)
}

fn main() -> io::Result<()> {
    let method = env::var("REQUEST_METHOD").unwrap_or_default();
    let path = env::var("PATH_INFO").unwrap_or_default();
    let query = env::var("QUERY_STRING").unwrap_or_default();
    let stdout = io::stdout();
    let mut out = stdout.lock();

    match (method.as_str(), path.as_str()) {
        (_, "/") => {
            let greeting = env::var("GREETING").unwrap_or_else(|_| "Hello".to_string());
            let body = format!("{} from Rust on wasm32-wasi! {} {}\n", greeting, method, path);
            respond(&mut out, "200 OK", "text/plain; charset=utf-8", &body)
        }
        (_, "/primes") => {
            let n: usize = query_param(&query, "n").and_then(|v| v.parse().ok()).unwrap_or(100);
            if n > 10_000_000 {
                return respond(&mut out, "400 Bad Request", "text/plain", "n must be at most 10000000\n");
            }
            let primes = primes_below(n);
            let body = format!("{{\"below\":{},\"count\":{},\"last\":{}}}\n", n, primes.len(), primes.last().copied().unwrap_or(0));
            respond(&mut out, "200 OK", "application/json", &body)
        }
        ("POST", "/words") => {
            let mut text = String::new();
            io::stdin().read_to_string(&mut text)?;
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
                *counts.entry(word.to_lowercase()).or_insert(0) += 1;
            }
            let mut body = String::new();
            for (word, count) in &counts {
                body.push_str(&format!("{} {}\n", word, count));
            }
            respond(&mut out, "200 OK", "text/plain; charset=utf-8", &body)
        }
        ("GET", "/env") => {
            let mut names: Vec<String> = env::vars().map(|(k, _)| k).collect();
            names.sort();
            respond(&mut out, "200 OK", "text/plain", &(names.join("\n") + "\n"))
        }
        _ => respond(&mut out, "404 Not Found", "text/plain", &format!("no route for {} {}\n", method, path)),
    }
}

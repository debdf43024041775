//! Where a webhook may go: the URL an admin gives is checked, and at every attempt the host is
//! resolved and every address must be public unless the configuration allows private ones.

use std::net::{IpAddr, SocketAddr};

/// Checks a URL an admin gives: `http(s)`, a host, no credentials; a literal address must be
/// public unless private ones are allowed (a name is checked when it is resolved, at sending).
pub fn check_url(url: &str, allow_private: bool) -> Result<String, String> {
    let url = url.trim();
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("url: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("url: only http and https".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "url: no user name or password in the URL (put a token in the path or query)".into(),
        );
    }
    match parsed.host() {
        None => return Err("url: no host".into()),
        Some(url::Host::Ipv4(a)) if !allow_private && !is_public(IpAddr::V4(a)) => {
            return Err(format!("url: {a} is not a public address"))
        }
        Some(url::Host::Ipv6(a)) if !allow_private && !is_public(IpAddr::V6(a)) => {
            return Err(format!("url: {a} is not a public address"))
        }
        Some(_) => {}
    }
    if url.len() > 2000 {
        return Err("url: at most 2000 characters".into());
    }
    Ok(parsed.to_string())
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (CGNAT), unspecified, multicast, broadcast, documentation or benchmarking; IPv4 inside IPv6
/// judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_multicast()
                || a.is_broadcast()
                || a.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                || o[0] >= 240)
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

/// The addresses to connect to for a URL's host, each checked.
pub(crate) async fn resolve(
    url: &reqwest::Url,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, String> {
    let host = url
        .host_str()
        .ok_or("no host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = url.port_or_known_default().ok_or("no port")?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} has no address"));
    }
    if !allow_private {
        if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
            return Err(format!(
                "refused: {host} resolves to {}, not a public address",
                bad.ip()
            ));
        }
    }
    Ok(addrs)
}

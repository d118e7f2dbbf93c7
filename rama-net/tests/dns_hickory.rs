//! `HickoryDns` without outside network: special names, the hosts file, and name servers on
//! loopback that refuse or never answer.
#![cfg(feature = "hickory")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use rama_net::address::Domain;
use rama_net::dns::hickory_resolver::config::{
    NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use rama_net::dns::hickory_resolver::proto::xfer::Protocol;
use rama_net::dns::{DnsResolver, HickoryDns};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::time::timeout;

const BOUND: Duration = Duration::from_secs(5);

/// A resolver whose only name server is `server` (on loopback), with short timeouts.
fn resolver_with_server(server: SocketAddr, hosts: ResolveHosts) -> HickoryDns {
    let mut config = ResolverConfig::new();
    config.add_name_server(NameServerConfig::new(server, Protocol::Udp));
    let mut opts = ResolverOpts::default();
    opts.use_hosts_file = hosts;
    opts.timeout = Duration::from_secs(5);
    opts.attempts = 1;
    HickoryDns::from_config(config, opts)
}

#[tokio::test]
async fn localhost_resolves_to_loopback_without_a_query() {
    let dns = HickoryDns::default();
    let v4 = timeout(BOUND, dns.ipv4_lookup(Domain::from_static("localhost")))
        .await
        .unwrap()
        .unwrap();
    assert!(v4.contains(&Ipv4Addr::LOCALHOST), "{v4:?}");
    let v6 = timeout(BOUND, dns.ipv6_lookup(Domain::from_static("localhost")))
        .await
        .unwrap();
    // ::1 unless the hosts file says otherwise; never anything outside loopback
    if let Ok(v6) = v6 {
        assert!(v6.iter().all(Ipv6Addr::is_loopback), "{v6:?}");
    }
}

/// Entries of /etc/hosts, other than localhost, that map a name to an IPv4 loopback address.
fn loopback_hosts_entries() -> Vec<(Domain, Ipv4Addr)> {
    let Ok(text) = std::fs::read_to_string("/etc/hosts") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        let Some(Ok(IpAddr::V4(ip))) = fields.next().map(str::parse::<IpAddr>) else {
            continue;
        };
        if !ip.is_loopback() {
            continue;
        }
        for name in fields {
            if let Ok(domain) = name.parse::<Domain>()
                && !domain.is_localhost()
            {
                out.push((domain, ip));
            }
        }
    }
    out
}

#[tokio::test]
async fn hosts_file_entries_are_answered_from_the_file() {
    let entries = loopback_hosts_entries();
    let Some((domain, ip)) = entries.first().cloned() else {
        println!("skip: /etc/hosts has no loopback entry besides localhost");
        return;
    };
    // the only name server refuses everything (closed port on loopback): an answer can only
    // come from the hosts file
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = closed.local_addr().unwrap();
    drop(closed);
    let dns = resolver_with_server(server, ResolveHosts::Always);
    let v4 = timeout(BOUND, dns.ipv4_lookup(domain.clone()))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{domain} from /etc/hosts: {e:#}"));
    assert!(v4.contains(&ip), "{domain}: {v4:?}");
}

#[tokio::test]
async fn invalid_tld_fails_fast() {
    let dns = HickoryDns::default();
    let started = Instant::now();
    let err = timeout(
        BOUND,
        dns.ipv4_lookup("no-such-host.invalid".parse().unwrap()),
    )
    .await
    .expect("a .invalid lookup must not hang")
    .unwrap_err();
    assert!(err.is_not_found(), "{err:#?}");
    assert_eq!(err.domain().as_str(), "no-such-host.invalid");
    assert!(started.elapsed() < Duration::from_secs(2));
    let err = timeout(BOUND, dns.ipv6_lookup("x.invalid".parse().unwrap()))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn silent_name_server_hits_the_lookup_timeout() {
    // a UDP socket that receives queries and never answers
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let dns = resolver_with_server(silent.local_addr().unwrap(), ResolveHosts::Never)
        .with_lookup_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = timeout(BOUND, dns.ipv4_lookup(Domain::from_static("example.com")))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_timeout(), "{err:#?}");
    assert!(err.to_string().contains("example.com"), "{err}");
    let waited = started.elapsed();
    assert!(
        (Duration::from_millis(250)..Duration::from_secs(2)).contains(&waited),
        "{waited:?}"
    );
    // the query did reach the (silent) server
    let mut buf = [0u8; 512];
    let (n, _) = timeout(BOUND, silent.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(n > 12, "a DNS query has a 12-byte header and a question");
}

#[tokio::test]
async fn refusing_name_server_is_an_error_within_bound() {
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = closed.local_addr().unwrap();
    drop(closed);
    let dns = resolver_with_server(server, ResolveHosts::Never)
        .with_lookup_timeout(Duration::from_secs(1));
    let err = timeout(BOUND, dns.ipv6_lookup(Domain::from_static("example.org")))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.domain().as_str(), "example.org");
    assert!(!err.is_denied());
}

/// A DNS server on loopback UDP: `good.test` has A 127.0.0.7 and AAAA ::1 (TTL 300), every
/// other name is NXDOMAIN. Counts the queries it answers.
async fn tiny_dns_server() -> (
    SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    tokio::task::JoinHandle<()>,
) {
    use rama_net::dns::hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
    use rama_net::dns::hickory_resolver::proto::rr::rdata::{A, AAAA};
    use rama_net::dns::hickory_resolver::proto::rr::{RData, Record, RecordType};
    use std::sync::atomic::Ordering;

    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = count.clone();
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let (n, from) = socket.recv_from(&mut buf).await.unwrap();
            let query = Message::from_vec(&buf[..n]).unwrap();
            counter.fetch_add(1, Ordering::SeqCst);
            let mut reply = Message::new();
            reply
                .set_id(query.id())
                .set_message_type(MessageType::Response)
                .set_op_code(query.op_code())
                .set_recursion_desired(query.recursion_desired())
                .set_recursion_available(true);
            for q in query.queries() {
                reply.add_query(q.clone());
                let name = q.name().to_ascii();
                if name.trim_end_matches('.') != "good.test" {
                    reply.set_response_code(ResponseCode::NXDomain);
                    continue;
                }
                let rdata = match q.query_type() {
                    RecordType::A => RData::A(A(Ipv4Addr::new(127, 0, 0, 7))),
                    RecordType::AAAA => RData::AAAA(AAAA(Ipv6Addr::LOCALHOST)),
                    _ => continue,
                };
                reply.add_answer(Record::from_rdata(q.name().clone(), 300, rdata));
            }
            socket
                .send_to(&reply.to_vec().unwrap(), from)
                .await
                .unwrap();
        }
    });
    (addr, count, task)
}

#[tokio::test]
async fn answers_from_a_name_server_are_resolved_and_cached() {
    use std::sync::atomic::Ordering;
    let (server, queries, task) = tiny_dns_server().await;
    let dns = resolver_with_server(server, ResolveHosts::Never)
        .with_lookup_timeout(Duration::from_secs(3));
    let good = Domain::from_static("good.test");

    let v4 = timeout(BOUND, dns.ipv4_lookup(good.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v4, [Ipv4Addr::new(127, 0, 0, 7)]);
    let v6 = timeout(BOUND, dns.ipv6_lookup(good.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v6, [Ipv6Addr::LOCALHOST]);
    let asked = queries.load(Ordering::SeqCst);
    assert_eq!(asked, 2);

    // a clone shares the cache: no new query
    let again = dns.clone().ipv4_lookup(good.clone()).await.unwrap();
    assert_eq!(again, v4);
    assert_eq!(queries.load(Ordering::SeqCst), asked);
    // until the cache is cleared
    dns.clear_cache();
    dns.ipv4_lookup(good).await.unwrap();
    assert_eq!(queries.load(Ordering::SeqCst), asked + 1);

    let err = timeout(BOUND, dns.ipv4_lookup(Domain::from_static("missing.test")))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_not_found(), "{err:#?}");
    assert_eq!(err.domain().as_str(), "missing.test");
    task.abort();
}

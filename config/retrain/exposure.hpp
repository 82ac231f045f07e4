#pragma once

#include <string>
#include <string_view>

#include "retrain/node_settings.hpp"

namespace retrain {

/// Whether a port bound to `host` is reachable from this machine only: an
/// IPv4 address in 127.0.0.0/8 in dotted-quad form, the IPv6 loopback
/// `::1` (also IPv4-mapped, `::ffff:127.0.0.1`) or `localhost`. Anything
/// else (`0.0.0.0`, `::`, other addresses, other names, an empty host, a
/// short form like `127.1`) counts as reachable from elsewhere.
bool is_loopback_host(std::string_view host);

/// Whether `host` names no single address: empty, `0.0.0.0` or `::` (in
/// any form `inet_pton` takes). A port bound there listens on every
/// interface, but no peer can reach this node by that name.
bool is_wildcard_host(std::string_view host);

/// What the plaintext rule says of a node with `settings`: why its binary
/// ports (ingest, coordinator) would be open beyond this machine without
/// mutual TLS (`mutual_tls`: all of `openssl.certificate`, `openssl.key`
/// and `openssl.cafile` set), naming the host and the ports; empty when
/// they are not. A worker node binds no port: empty whatever its
/// `retrain.host`. `retrain.allow-plaintext` is the caller's to look at.
std::string plaintext_exposure(const node_settings& settings, bool mutual_tls);

/// Why the plaintext rule refuses an exposed node and what to do about it:
/// the text that follows `plaintext_exposure` in the refusal.
extern const char* const plaintext_advice;

} // namespace retrain

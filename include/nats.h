/*
 * rnats: the NATS client for C, written in Rust.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Kept for source compatibility with programs that include <nats.h>.
 * New code should include <nats/nats.h>.
 */
#ifndef RNATS_DEPRECATED_NATS_H
#define RNATS_DEPRECATED_NATS_H

#if defined(_MSC_VER)
#pragma message("<nats.h> is deprecated, include <nats/nats.h> instead")
#else
#warning "<nats.h> is deprecated, include <nats/nats.h> instead"
#endif

#include <nats/nats.h>

#endif /* RNATS_DEPRECATED_NATS_H */

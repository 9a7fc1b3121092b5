/*
 * sg_wire.h - the frames between the milter and its evaluation workers.
 *
 * A request is the envelope (the message itself travels as a file
 * descriptor beside it); a reply is the verdict, with hits naming rules by
 * their index in the snapshot both sides share (a worker is forked from
 * the process holding that very snapshot). Every length is checked on
 * decode: a worker's bytes are not trusted more than the mail it read.
 */
#ifndef SG_WIRE_H
#define SG_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sg_message.h"
#include "sg_verdict.h"

#define SG_WIRE_REQUEST 0x53475251u     /* "SGRQ" */
#define SG_WIRE_REPLY 0x53475250u       /* "SGRP" */
#define SG_WIRE_MAX (64u << 20)         /* no frame is larger */

/* Request flags. */
#define SG_WIRE_TRUNCATED 1u            /* the spool kept only part of the message */

/* A frame: u32 magic, u32 body length, body. */
void sg_wire_request(struct sg_buf *out, const struct sg_envelope *env, const char *event_id,
                     unsigned flags);
bool sg_wire_parse_request(const unsigned char *body, size_t len, struct sg_envelope *env,
                           char *event_id, size_t idlen, unsigned *flags);

/* retire: the worker exits after this reply (it has served its share). */
void sg_wire_reply(struct sg_buf *out, const struct sg_verdict *v, const struct sg_policy *p,
                   const char *message_id, bool retire);
bool sg_wire_parse_reply(const unsigned char *body, size_t len, const struct sg_policy *p,
                         struct sg_verdict *v, bool *retire);

/* Frame header helpers. */
void sg_wire_header(unsigned char hdr[8], uint32_t magic, uint32_t len);
bool sg_wire_read_header(const unsigned char hdr[8], uint32_t magic, uint32_t *len);

#endif
